"""Tencent Cloud SMS (sms 2021-01-11) ``SendSms`` signed with TC3-HMAC-SHA256.

Signature v3 (签名方法 v3, cloud.tencent.com/document/api/362/4208, the same article under
every product; worked example in tencentcloud.com/document/product/1026/31038):
canonical request = ``POST\\n/\\n\\n`` + ``content-type:…\\nhost:…\\n`` + ``\\n`` +
``content-type;host\\n`` + hex(SHA-256(payload)); string to sign = ``TC3-HMAC-SHA256\\n`` +
timestamp + ``\\n`` + ``{UTC date}/sms/tc3_request\\n`` + hex(SHA-256(canonical request));
signing key = HMAC chain "TC3"+SecretKey → date → "sms" → "tc3_request". The date is the
UTC date of the timestamp, and the timestamp must be within 5 minutes of Tencent's clock.

The signed ``Host`` is Tencent's host even when ``base_url`` points at a proxy or gateway, so
the request a forwarder passes on still verifies.

Only approved templates go out: ``TemplateId`` with ``TemplateParamSet`` filling {1}, {2}, …
(non-verification variables hold 6 characters unless the template declares otherwise,
cloud.tencent.com/document/product/382/13301). Errors (cloud.tencent.com/document/api/382/
59177): ``Response.Error`` for the request, or a per-number ``SendStatusSet[].Code``;
``LimitExceeded.*``, ``RequestLimitExceeded`` and ``InternalError.*`` are retried; the rest
(``AuthFailure.SignatureFailure``, ``InvalidParameterValue.IncorrectPhoneNumber``,
``FailedOperation.TemplateIncorrectOrUnapproved``, ``FailedOperation.TemplateUnapprovedOrNotExist``,
``FailedOperation.SignatureIncorrectOrUnapproved``, ``FailedOperation.PhoneNumberInBlacklist``
...) are final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import Field, field_validator

from alerts.notifiers.base import Delivery, Message, Outcome, ReceiverSettings
from alerts.notifiers.http import by_status, excerpt, exchange, json_object
from alerts.notifiers.sms import MissingParameter, known_params, missing, value
from alerts.notifiers.text import E164, Secret

CONTENT_TYPE = "application/json; charset=utf-8"
RETRY_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded", "InternalError")
# Code names from tencentcloud-sdk's sms/v20210111 error codes; per-number windows are waited
# out. More than 200 numbers in one request is a request that will never pass.
WAITS = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.PhoneNumberDailyLimit": 86400.0,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": 86400.0,
}
FINAL = frozenset({"LimitExceeded.PhoneNumberCountLimit"})


def tc3_signature(
    secret_key: str, *, service: str, host: str, timestamp: int, payload: bytes
) -> str:
    """The hex signature of a POST to ``/`` signing ``content-type;host``."""
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = f"TC3{secret_key}".encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSms(ReceiverSettings):
    base_url: str = "https://sms.tencentcloudapi.com"
    host: str = Field(default="sms.tencentcloudapi.com", description="The Host that is signed.")
    secret_id: str = Field(min_length=1)
    secret_key: Secret
    region: str = "ap-guangzhou"
    sdk_app_id: str = Field(pattern=r"^[0-9]+$")
    sign_name: str = Field(default="", description="The approved 签名; optional abroad.")
    template_id: str = Field(pattern=r"^[0-9]+$")
    template_params: tuple[str, ...] = Field(
        default=(), description="The message parameters filling {1}, {2}, … in order."
    )
    phone: E164
    max_param_chars: int = Field(default=6, ge=1, le=500)

    @field_validator("template_params")
    @classmethod
    def _params(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        known_params(names)
        return names

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        try:
            values = [value(message, name, self.max_param_chars) for name in self.template_params]
        except MissingParameter as error:
            return missing(error, message)
        body: dict[str, Any] = {
            "PhoneNumberSet": [self.phone],
            "SmsSdkAppId": self.sdk_app_id,
            "TemplateId": self.template_id,
            "TemplateParamSet": values,
            "SessionContext": message.idempotency_key,
        }
        if self.sign_name:
            body["SignName"] = self.sign_name
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        request = client.build_request(
            "POST",
            self.endpoint("/"),
            content=payload,
            headers=self.headers(payload),
            timeout=self.timeout_s,
        )
        answer = exchange(client, request)
        return answer if isinstance(answer, Delivery) else classify(answer)

    def headers(self, payload: bytes) -> dict[str, str]:
        timestamp = int(time.time())
        date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
        signature = tc3_signature(
            self.secret_key.get_secret_value(),
            service="sms",
            host=self.host,
            timestamp=timestamp,
            payload=payload,
        )
        credential = f"{self.secret_id}/{date}/sms/tc3_request"
        return {
            "Authorization": f"TC3-HMAC-SHA256 Credential={credential}, "
            f"SignedHeaders=content-type;host, Signature={signature}",
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }


def classify(response: httpx.Response) -> Delivery:
    answer = json_object(response).get("Response")
    status = response.status_code
    if not isinstance(answer, Mapping):
        return by_status(response, None, f"HTTP {status} without a Response: {excerpt(response)}")
    error = answer.get("Error")
    if isinstance(error, Mapping):
        return by_code(status, str(error.get("Code")), str(error.get("Message", "")))
    sent = answer.get("SendStatusSet")
    if not isinstance(sent, list) or not sent or not isinstance(sent[0], Mapping):
        return by_status(response, None, f"HTTP {status} without a send status")
    result = sent[0]
    code, text = str(result.get("Code")), str(result.get("Message", ""))
    if code == "Ok":
        return Delivery(Outcome.SENT, status, code, f"SerialNo {result.get('SerialNo')}")
    return by_code(status, code, text)


def by_code(status: int, code: str, text: str) -> Delivery:
    retry = (code.startswith(RETRY_PREFIXES) and code not in FINAL) or status >= 500
    if not retry:
        return Delivery(Outcome.GIVE_UP, status, code, text)
    return Delivery(Outcome.RETRY, status, code, text, WAITS.get(code))
