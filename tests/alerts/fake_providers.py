"""Loopback fakes of the notification providers for the notifier tests.

Each fake is a real HTTP server thread on 127.0.0.1 that checks a request the way its
provider does (recomputes the signature from what arrived on the wire, checks the required
fields and limits) and answers the provider's refusal when a check fails. Otherwise it
answers the next scripted reply, or the provider's success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx

from alerts.notifiers import aliyun_sms, tencent_sms, twilio_sms
from alerts.notifiers.base import Delivery, Message, Outcome
from alerts.notifiers.providers import notifier_for
from alerts.notifiers.templates import compose

CLIENT = httpx.Client()
"""One client for every test: building one loads the CA bundle, a quarter second each."""


def breach(*, key: str = "ntf-1", lang: str = "zh", **facts: str) -> Message:
    """The SLA breach message the tests send; ``facts`` replace the defaults."""
    defaults = {
        "count": "37",
        "warehouse": "杭州仓",
        "stage": "待拣货",
        "threshold": "2 小时",
        "longest": "3 小时 12 分",
        "orders": "OW0000000042, OW0000000043",
    }
    return compose(
        idempotency_key=key,
        kind="sla_breach",
        severity="critical",
        lang=lang,
        facts=defaults | facts,
        url="https://console.example/alerts/1",
    )


def send(kind: str, settings: dict[str, Any], message: Message | None = None) -> Delivery:
    return notifier_for(kind, settings).send(message or breach(), CLIENT)


def answer(
    fake: FakeProvider, kind: str, settings: dict[str, Any], reply: Reply
) -> tuple[Outcome, str | None, float | None]:
    """How the notifier classifies ``reply`` (after the fake's checks passed)."""
    fake.replies.append(reply)
    delivery = send(kind, settings)
    return delivery.outcome, delivery.provider_code, delivery.retry_after_s


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False
    """Never answer (until the server stops): the client's timeout must fire."""

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False).encode()


class FakeProvider:
    """Checks requests like the provider; ``replies`` script the answers after the checks."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        self.refused: list[str] = []

    def handle(self, request: Received) -> Reply:
        self.received.append(request)
        problem = self.check(request)
        if problem is not None:
            self.refused.append(problem)
            return self.refusal(problem)
        return self.replies.popleft() if self.replies else self.success(request)

    def check(self, request: Received) -> str | None:
        raise NotImplementedError

    def refusal(self, problem: str) -> Reply:
        raise NotImplementedError

    def success(self, request: Received) -> Reply:
        raise NotImplementedError


def within(timestamp: str, seconds: float, scale: float = 1.0) -> bool:
    return timestamp.isdigit() and abs(time.time() - int(timestamp) / scale) <= seconds


# --- Standard Webhooks receiver -------------------------------------------------------------


class WebhookReceiver(FakeProvider):
    """A consumer verifying per the Standard Webhooks spec (5 minute tolerance)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.key = base64.b64decode(secret.removeprefix("whsec_"))

    def check(self, request: Received) -> str | None:
        msg_id = request.headers.get("webhook-id", "")
        stamp = request.headers.get("webhook-timestamp", "")
        if not msg_id or not within(stamp, 300):
            return "missing id or stale timestamp"
        signed = f"{msg_id}.{stamp}.".encode() + request.body
        expected = base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
        offered = [
            part.removeprefix("v1,")
            for part in request.headers.get("webhook-signature", "").split()
        ]
        if not any(hmac.compare_digest(expected, sig) for sig in offered):
            return "bad signature"
        return None

    def refusal(self, problem: str) -> Reply:
        return Reply(401, {"error": problem})

    def success(self, request: Received) -> Reply:
        return Reply(204, b"")


# --- group robots ---------------------------------------------------------------------------


class DingTalk(FakeProvider):
    """``/robot/send``: token, then 加签 (ms timestamp within an hour), then the body."""

    def __init__(self, token: str, secret: str | None) -> None:
        super().__init__()
        self.token, self.secret = token, secret

    def check(self, request: Received) -> str | None:
        params = request.params()
        if request.path != "/robot/send" or params.get("access_token") != self.token:
            return "300005 token is not exist"
        if self.secret is not None:
            stamp = params.get("timestamp", "")
            if not within(stamp, 3600, scale=1000):
                return "310000 invalid timestamp"
            to_sign = f"{stamp}\n{self.secret}".encode()
            digest = hmac.new(self.secret.encode(), to_sign, hashlib.sha256).digest()
            if params.get("sign") != base64.b64encode(digest).decode():
                return "310000 sign not match"
        body = request.json()
        kind = body.get("msgtype")
        if kind not in ("text", "markdown", "actionCard") or not body.get(kind):
            return "40035 缺少参数 json"
        if len(request.body) > 20000:
            return "460101 message too long, exceed 20000 bytes"
        return None

    def refusal(self, problem: str) -> Reply:
        code, _, text = problem.partition(" ")
        return Reply(200, {"errcode": int(code), "errmsg": text})

    def success(self, request: Received) -> Reply:
        return Reply(200, {"errcode": 0, "errmsg": "ok"})


class WeCom(FakeProvider):
    """``/cgi-bin/webhook/send?key=``: the key, then the content limits in UTF-8 bytes."""

    LIMITS: ClassVar[dict[str, int]] = {"text": 2048, "markdown": 4096}

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def check(self, request: Received) -> str | None:
        if request.path != "/cgi-bin/webhook/send" or request.params().get("key") != self.key:
            return "93000 invalid webhook url"
        body = request.json()
        kind = body.get("msgtype")
        if kind not in self.LIMITS:
            return "40008 invalid message type"
        content = body[kind].get("content", "")
        if not content:
            return "44004 empty content"
        if len(content.encode()) > self.LIMITS[kind]:
            return "40058 content exceed max length"
        return None

    refusal = DingTalk.refusal

    def success(self, request: Received) -> Reply:
        return Reply(200, {"errcode": 0, "errmsg": "ok"})


class Feishu(FakeProvider):
    """``/open-apis/bot/v2/hook/{token}``: signature in the body (seconds, within an hour)."""

    def __init__(self, token: str, secret: str | None) -> None:
        super().__init__()
        self.token, self.secret = token, secret

    def check(self, request: Received) -> str | None:
        if request.path != f"/open-apis/bot/v2/hook/{self.token}":
            return "19001 param invalid: incoming webhook access token invalid"
        if len(request.body) > 20 * 1024:
            return "9499 Bad Request"
        body = request.json()
        if self.secret is not None:
            stamp = str(body.get("timestamp", ""))
            key = f"{stamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if not within(stamp, 3600) or body.get("sign") != expected:
                return "19021 sign match fail or timestamp is not within one hour"
        kind = body.get("msg_type")
        if kind == "interactive" and isinstance(body.get("card"), dict):
            return None
        if kind == "text" and body.get("content", {}).get("text"):
            return None
        return "9499 Bad Request"

    def refusal(self, problem: str) -> Reply:
        code, _, text = problem.partition(" ")
        return Reply(200, {"code": int(code), "msg": text, "data": {}})

    def success(self, request: Received) -> Reply:
        return Reply(200, {"code": 0, "msg": "success", "data": {}})


# --- SMS ------------------------------------------------------------------------------------


class Aliyun(FakeProvider):
    """dysmsapi ``SendSms``: RPC v1 signature over the form, fresh nonce, approved template."""

    def __init__(self, key_id: str, secret: str, template: str, variables: set[str]) -> None:
        super().__init__()
        self.key_id, self.secret = key_id, secret
        self.template, self.variables = template, variables
        self.nonces: set[str] = set()

    def check(self, request: Received) -> str | None:
        params = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        offered = params.pop("Signature", "")
        if params.get("AccessKeyId") != self.key_id:
            return "InvalidAccessKeyId.NotFound"
        if offered != aliyun_sms.signature(self.secret, request.method, params):
            return "SignatureDoesNotMatch"
        if params.get("SignatureNonce") in self.nonces:
            return "SignatureNonceUsed"
        self.nonces.add(params.get("SignatureNonce", ""))
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return "InvalidAction.NotFound"
        if not params.get("PhoneNumbers", "").isdigit():
            return "isv.MOBILE_NUMBER_ILLEGAL"
        if params.get("TemplateCode") != self.template or not params.get("SignName"):
            return "isv.SMS_TEMPLATE_ILLEGAL"
        values = json.loads(params.get("TemplateParam", "{}"))
        if set(values) != self.variables:
            return "isv.TEMPLATE_MISSING_PARAMETERS"
        return None

    def refusal(self, problem: str) -> Reply:
        status = 400 if problem.startswith(("Signature", "InvalidAccess")) else 200
        return Reply(status, {"Code": problem, "Message": problem, "RequestId": "R1"})

    def success(self, request: Received) -> Reply:
        return Reply(200, {"Code": "OK", "Message": "OK", "BizId": "9006^0", "RequestId": "R1"})


class Tencent(FakeProvider):
    """``SendSms`` 2021-01-11: TC3 signature recomputed from the Host and body received."""

    def __init__(self, secret_id: str, secret_key: str) -> None:
        super().__init__()
        self.secret_id, self.secret_key = secret_id, secret_key

    def check(self, request: Received) -> str | None:
        h = request.headers
        stamp = h.get("x-tc-timestamp", "")
        if not within(stamp, 300):
            return "AuthFailure.SignatureExpire"
        auth = h.get("authorization", "")
        date = time.strftime("%Y-%m-%d", time.gmtime(int(stamp)))
        signature = tencent_sms.tc3_signature(
            self.secret_key,
            service="sms",
            host=h.get("host", ""),
            timestamp=int(stamp),
            payload=request.body,
        )
        expected = (
            f"TC3-HMAC-SHA256 Credential={self.secret_id}/{date}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        if h.get("content-type") != tencent_sms.CONTENT_TYPE or auth != expected:
            return "AuthFailure.SignatureFailure"
        if h.get("x-tc-action") != "SendSms" or h.get("x-tc-version") != "2021-01-11":
            return "InvalidAction"
        body = request.json()
        if not all(body.get(key) for key in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId")):
            return "MissingParameter"
        return None

    def refusal(self, problem: str) -> Reply:
        return Reply(
            200, {"Response": {"Error": {"Code": problem, "Message": problem}, "RequestId": "R1"}}
        )

    def success(self, request: Received) -> Reply:
        phone = request.json()["PhoneNumberSet"][0]
        return Reply(200, self.status(phone, "Ok", "send success"))

    @staticmethod
    def status(phone: str, code: str, message: str) -> dict[str, Any]:
        result = {
            "SerialNo": "2028:1",
            "PhoneNumber": phone,
            "Fee": 1,
            "Code": code,
            "Message": message,
            "IsoCode": "CN",
        }
        return {"Response": {"SendStatusSet": [result], "RequestId": "R1"}}


class Twilio(FakeProvider):
    """Messages API: Basic auth (the account's token or an API key), To and From or
    MessagingServiceSid, and Body within 1600 characters."""

    def __init__(self, account_sid: str, auth_token: str, api_key: tuple[str, str]) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.logins = {
            "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            for user, password in [(account_sid, auth_token), api_key]
        }

    def check(self, request: Received) -> str | None:
        if request.headers.get("authorization") not in self.logins:
            return "20003 Authenticate"
        if request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return "20404 The requested resource was not found"
        form = parse_qs(request.body.decode())
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            return "21604 A 'To' and a 'From' phone number are required"
        if len(form.get("Body", [""])[0]) > twilio_sms.BODY_LIMIT:
            return "21617 The concatenated message body exceeds the 1600 character limit"
        return None

    def refusal(self, problem: str) -> Reply:
        code, _, text = problem.partition(" ")
        status = {"20003": 401, "20404": 404}.get(code, 400)
        return self.error(status, int(code), text)

    @staticmethod
    def error(status: int, code: int, text: str, **headers: str) -> Reply:
        body = {
            "code": code,
            "message": text,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        }
        return Reply(status, body, headers)

    def success(self, request: Received) -> Reply:
        form = parse_qs(request.body.decode())
        return Reply(
            201,
            {
                "sid": "SM" + "0" * 32,
                "status": "queued",
                "to": form["To"][0],
                "body": form["Body"][0],
                "error_code": None,
            },
        )


# --- the server -----------------------------------------------------------------------------


@contextmanager
def serving(provider: FakeProvider) -> Iterator[str]:
    """Run ``provider`` on a loopback port for the block; yields its base URL."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length", 0))
            request = Received(
                method=self.command,
                path=url.path,
                query=url.query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
            )
            reply = provider.handle(request)
            if reply.stall:
                release.wait()
                return
            payload = reply.encoded()
            self.send_response(reply.status)
            for name, value in {"content-type": "application/json", **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests assert on what the fake recorded."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


P = TypeVar("P", bound=FakeProvider)


def hosted(fake: P, settings: dict[str, Any]) -> Iterator[tuple[P, dict[str, Any]]]:
    """For fixtures: ``fake`` served, and receiver ``settings`` pointing at it."""
    with serving(fake) as base_url:
        yield fake, settings | {"base_url": base_url}
