"""Aliyun SMS (dysmsapi 2017-05-25) ``SendSms`` with the RPC signature v1.

Signature (help.aliyun.com/document_detail/101343.htm; AlibabaCloudDocs/ecs "Request
signatures"): percent-encode per RFC 3986 (keep ``A-Za-z0-9-_.~``, space → %20, ``*`` →
%2A), join the sorted ``k=v`` pairs with ``&``, sign ``METHOD&%2F&`` + the encoded joined
string with HMAC-SHA1 keyed by ``AccessKeySecret + "&"``, base64. The request is a POST
with the parameters as a form body, so ``POST`` is what is signed.

Aliyun sends only an approved ``TemplateCode`` under an approved ``SignName``, filled from
``TemplateParam`` (a JSON object of strings). Answer ``Code``: ``OK`` sent;
``isv.BUSINESS_LIMIT_CONTROL`` (per-number flow control: "触发分钟级/小时级/天级流控") and
``isp.SYSTEM_ERROR``/``Throttling*``/``SignatureNonceUsed`` retried; the rest
(``isv.MOBILE_NUMBER_ILLEGAL``, ``isv.SMS_TEMPLATE_ILLEGAL``, ``isv.SMS_SIGNATURE_ILLEGAL``,
``SignatureDoesNotMatch``, ``InvalidAccessKeyId.NotFound``, ``isv.DAY_LIMIT_CONTROL`` quota,
``isv.AMOUNT_NOT_ENOUGH``...) are final (error codes: help.aliyun.com/document_detail/101346).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from urllib.parse import quote

import httpx
from pydantic import Field, field_validator

from alerts.notifiers.base import Delivery, Message, Outcome, ReceiverSettings
from alerts.notifiers.http import by_status, excerpt, exchange, json_object
from alerts.notifiers.sms import MissingParameter, known_params, missing, value
from alerts.notifiers.text import E164, Secret

RETRY_CODES = frozenset({"isp.SYSTEM_ERROR", "ServiceUnavailable", "SignatureNonceUsed"})
# Per-number flow control says which window it hit; wait that window out.
FLOW_WINDOWS = {"分钟级": 60.0, "小时级": 3600.0, "天级": 86400.0}


def percent_encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params)
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    key = f"{secret}&".encode()
    digest = hmac.new(key, string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_number(phone: str) -> str:
    """Aliyun's form: mainland numbers bare (11 digits), others country code + number."""
    return phone.removeprefix("+86") if phone.startswith("+86") else phone.removeprefix("+")


class AliyunSms(ReceiverSettings):
    base_url: str = "https://dysmsapi.aliyuncs.com"
    access_key_id: str = Field(min_length=1)
    access_key_secret: Secret
    region_id: str = "cn-hangzhou"
    sign_name: str = Field(min_length=1, description="The approved 短信签名.")
    template_code: str = Field(pattern=r"^SMS_[0-9]+$", description="The approved template.")
    template_params: dict[str, str] = Field(
        default_factory=dict, description="Template variable -> message parameter."
    )
    phone: E164
    max_param_chars: int = Field(default=35, ge=1, le=500)

    @field_validator("template_params")
    @classmethod
    def _params(cls, names: dict[str, str]) -> dict[str, str]:
        known_params(names.values())
        return names

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        try:
            template = {
                variable: value(message, param, self.max_param_chars)
                for variable, param in self.template_params.items()
            }
        except MissingParameter as error:
            return missing(error, message)
        params = self.common() | {
            "PhoneNumbers": aliyun_number(self.phone),
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(template, ensure_ascii=False),
            "OutId": message.idempotency_key[:64],
        }
        params["Signature"] = signature(self.access_key_secret.get_secret_value(), "POST", params)
        request = client.build_request(
            "POST",
            self.endpoint("/"),
            content=canonical_query(params).encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=self.timeout_s,
        )
        answer = exchange(client, request)
        return answer if isinstance(answer, Delivery) else classify(answer)

    def common(self) -> dict[str, str]:
        return {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Version": "2017-05-25",
        }


def classify(response: httpx.Response) -> Delivery:
    body = json_object(response)
    code, text = body.get("Code"), str(body.get("Message", ""))
    status = response.status_code
    if not isinstance(code, str):
        return by_status(response, None, f"HTTP {status} without a Code: {excerpt(response)}")
    if code == "OK":
        return Delivery(Outcome.SENT, status, code, f"BizId {body.get('BizId')}")
    if code == "isv.BUSINESS_LIMIT_CONTROL":
        wait = next((s for window, s in FLOW_WINDOWS.items() if window in text), 60.0)
        return Delivery(Outcome.RETRY, status, code, text, wait)
    if code in RETRY_CODES or code.startswith("Throttling") or status >= 500:
        return Delivery(Outcome.RETRY, status, code, text)
    return Delivery(Outcome.GIVE_UP, status, code, text)
