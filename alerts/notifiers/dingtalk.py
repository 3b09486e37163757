"""DingTalk (钉钉) custom group robot: ``POST {base}/robot/send?access_token=…``.

加签 (open.dingtalk.com "custom-robot-access" / security settings, official snippet quoted in
/work/shared/research/alerting.md §A1): ``timestamp`` in milliseconds and
``sign`` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))) as query
parameters. httpx percent-encodes query values exactly once (``+`` → %2B, ``/`` → %2F,
``=`` → %3D, as ``quote_plus`` does), so the base64 goes in raw: encoding it twice is the
classic cause of ``310000 sign not match``.

Answer codes (HTTP 200 with ``errcode``): 0 sent; 130101 "send too fast, exceed 20 times per
minute" throttles the robot for 10 minutes; 410100 and 90030 are the rate-limit codes other
APIs versions answer; -1 system busy; 310000 (signature, keyword, IP or timestamp refused),
300001/300005 (token) and 460101 (message over 20000 bytes) are final.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Literal

import httpx
from pydantic import Field, field_validator

from alerts.notifiers.base import Delivery, Message, ReceiverSettings
from alerts.notifiers.robots import AnswerCodes, post
from alerts.notifiers.templates import label, plain
from alerts.notifiers.text import Secret, clip_bytes

CODES = AnswerCodes(
    fields=("errcode",),
    messages=("errmsg",),
    retry={-1: 0.0, 130101: 600.0, 410100: 60.0, 90030: 60.0},
)
# 460101 refuses bodies over 20000 bytes; the text gets what the envelope leaves.
TEXT_LIMIT_BYTES = 18_000


def sign(secret: str, timestamp_ms: int) -> str:
    """The base64 signature for ``timestamp_ms`` (not yet URL-encoded)."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


class DingTalkRobot(ReceiverSettings):
    base_url: str = "https://oapi.dingtalk.com"
    access_token: Secret
    secret: Secret | None = Field(default=None, description="The 加签 secret (SEC…).")
    msgtype: Literal["text", "markdown", "actionCard"] = "markdown"
    at_mobiles: tuple[str, ...] = Field(default=(), max_length=20)
    at_all: bool = False

    @field_validator("secret")
    @classmethod
    def _sec(cls, value: Secret | None) -> Secret | None:
        if value is not None and not value.get_secret_value().startswith("SEC"):
            raise ValueError("a DingTalk signing secret starts with 'SEC'")
        return value

    @field_validator("at_mobiles")
    @classmethod
    def _mobiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for mobile in value:
            if not mobile.isdigit() or not 5 <= len(mobile) <= 15:
                raise ValueError(f"{mobile!r} is not a mobile number (digits only)")
        return value

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        params = {"access_token": self.access_token.get_secret_value()}
        if self.secret is not None:
            timestamp = int(time.time() * 1000)
            params |= {
                "timestamp": str(timestamp),
                "sign": sign(self.secret.get_secret_value(), timestamp),
            }
        return post(
            client,
            self.endpoint("/robot/send"),
            self.body(message),
            codes=CODES,
            timeout_s=self.timeout_s,
            params=params,
        )

    def body(self, message: Message) -> dict[str, Any]:
        # Mentions only show when the text itself names the mobile as well as ``at`` does.
        mentions = "".join(f" @{mobile}" for mobile in self.at_mobiles)
        at = {"atMobiles": list(self.at_mobiles), "isAtAll": self.at_all}
        if self.msgtype == "text":
            content = clip_bytes(plain(message), TEXT_LIMIT_BYTES)
            return {"msgtype": "text", "text": {"content": content + mentions}, "at": at}
        text = clip_bytes(f"#### {message.title}\n\n{message.text}", TEXT_LIMIT_BYTES)
        if self.msgtype == "actionCard" and message.url:
            card = {
                "title": message.title,
                "text": text + mentions,
                "singleTitle": label("open", message.lang),
                "singleURL": message.url,
            }
            return {"msgtype": "actionCard", "actionCard": card, "at": at}
        if message.url:
            text += f"\n\n[{label('open', message.lang)}]({message.url})"
        markdown = {"title": message.title, "text": text + mentions}
        return {"msgtype": "markdown", "markdown": markdown, "at": at}
