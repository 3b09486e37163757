"""Twilio Messages API, and the ``X-Twilio-Signature`` of its status callbacks.

Send (twilio.com/docs/messaging/api/message-resource): ``POST {base}/2010-04-01/Accounts/
{AccountSid}/Messages.json``, HTTP Basic (AccountSid:AuthToken, or an API key SID:secret),
form fields ``To``, ``From`` or ``MessagingServiceSid``, ``Body`` (free text, at most 1600
characters), optional ``StatusCallback``. 201 with a ``sid`` is accepted; errors answer
``{"code", "message", "more_info", "status"}``: 429/20429 and 5xx are retried (honouring
``Retry-After``); 21211 invalid To, 21610 unsubscribed, 21614 not a mobile, 20003 auth and
other 4xx are final.

Status callbacks are signed (twilio/twilio-python ``twilio/request_validator.py``):
base64(HMAC-SHA1(AuthToken, url + every POST parameter as key + value, sorted by key then
value)); for a JSON body the url carries ``bodySHA256`` = hex(SHA-256(body)) and no
parameters are appended. Validators accept the signature made with or without the
scheme's default port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from typing import Self
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
from pydantic import Field, model_validator

from alerts.notifiers.base import Delivery, Message, Outcome, ReceiverSettings
from alerts.notifiers.http import by_status, excerpt, exchange, json_object
from alerts.notifiers.templates import plain
from alerts.notifiers.text import E164, Secret, clip_chars

BODY_LIMIT = 1600
DEFAULT_PORTS = {"https": 443, "http": 80}


class TwilioSms(ReceiverSettings):
    base_url: str = "https://api.twilio.com"
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: Secret | None = None
    api_key_sid: str | None = Field(default=None, pattern=r"^SK[0-9a-fA-F]{32}$")
    api_key_secret: Secret | None = None
    from_number: E164 | None = None
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    to: E164
    status_callback: str | None = Field(default=None, pattern=r"^https?://\S+$")

    @model_validator(mode="after")
    def _one_sender_one_credential(self) -> Self:
        if (self.from_number is None) == (self.messaging_service_sid is None):
            raise ValueError("give exactly one of from_number and messaging_service_sid")
        has_key = self.api_key_sid is not None and self.api_key_secret is not None
        if (self.auth_token is None) == (not has_key):
            raise ValueError("give either auth_token or both api_key_sid and api_key_secret")
        return self

    def authorization(self) -> str:
        """HTTP Basic with the auth token, or with the API key (checked above: one is set)."""
        if self.auth_token is not None:
            user, password = self.account_sid, self.auth_token.get_secret_value()
        else:
            user = str(self.api_key_sid)
            password = self.api_key_secret.get_secret_value() if self.api_key_secret else ""
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        form = {"To": self.to, "Body": clip_chars(plain(message), BODY_LIMIT)}
        if self.from_number is not None:
            form["From"] = self.from_number
        else:
            form["MessagingServiceSid"] = str(self.messaging_service_sid)
        if self.status_callback is not None:
            form["StatusCallback"] = self.status_callback
        request = client.build_request(
            "POST",
            self.endpoint(f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"),
            data=form,
            headers={"authorization": self.authorization()},
            timeout=self.timeout_s,
        )
        answer = exchange(client, request)
        return answer if isinstance(answer, Delivery) else classify(answer)


def classify(response: httpx.Response) -> Delivery:
    body = json_object(response)
    if response.status_code in (200, 201) and "sid" in body:
        return Delivery(
            Outcome.SENT, response.status_code, str(body.get("status")), f"sid {body['sid']}"
        )
    code = body.get("code")
    text = str(body.get("message") or excerpt(response))
    delivery = by_status(response, None if code is None else str(code), text)
    if code == 20429 and delivery.outcome is not Outcome.RETRY:
        return Delivery(Outcome.RETRY, response.status_code, "20429", text)
    return delivery


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a request to ``url`` with ``params``."""
    signed = url + "".join(key + value for key, value in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_callback(
    auth_token: str,
    url: str,
    signature_header: str,
    *,
    params: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
) -> bool:
    """Whether a callback to ``url`` (form ``params``, or a JSON ``body``) is Twilio's."""
    pairs = list(params)
    if body is not None:
        query = parse_qs(urlsplit(url).query)
        expected = query.get("bodySHA256", [""])[0]
        if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), expected):
            return False
        pairs = []
    return any(
        hmac.compare_digest(signature(auth_token, candidate, pairs), signature_header)
        for candidate in port_variants(url)
    )


def port_variants(url: str) -> tuple[str, str]:
    """``url`` without any port, and with its port (the scheme's default when it has none):
    Twilio signs either form, so its validator tries both."""
    parts = urlsplit(url)
    bare_netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    bare = urlunsplit(parts._replace(netloc=bare_netloc))
    if parts.port:
        return bare, url
    port = DEFAULT_PORTS.get(parts.scheme, 80)
    return bare, urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))
