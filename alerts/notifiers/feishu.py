"""Feishu / Lark custom bot: ``POST {base}/open-apis/bot/v2/hook/{token}``
(Lark: ``https://open.larksuite.com``).

签名校验 (自定义机器人使用指南, open.feishu.cn/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN):
``timestamp`` in seconds and ``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
msg=b"")) in the JSON body. Note the string is the key and the message is empty, unlike
DingTalk's; copying DingTalk's code answers 19021. A body holds at most 20 KB; a bot takes
100 requests a minute and 5 a second.

Answer codes (``code``, or ``StatusCode`` from older bots): 0 sent; 11232 frequency limit
and HTTP 429 retried; 9499 is a generic "Bad Request" that also carries "too many request"
when throttled, so only that message is retried; 19021 (signature or timestamp), 19001
(token), 19024 (keyword) and the rest are final.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Literal

import httpx
from pydantic import Field

from alerts.notifiers.base import Delivery, Message, ReceiverSettings
from alerts.notifiers.robots import AnswerCodes, post
from alerts.notifiers.templates import label, plain
from alerts.notifiers.text import Secret, clip_bytes

CODES = AnswerCodes(
    fields=("code", "StatusCode"),
    messages=("msg", "StatusMessage"),
    retry={11232: 60.0},
    retry_if_message={9499: "too many request"},
)
TEXT_LIMIT_BYTES = 16_000  # of the 20 KB body, leaving room for the card around it
HEADER_COLOUR = {"critical": "red", "warning": "orange", "info": "blue"}


def sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuBot(ReceiverSettings):
    base_url: str = "https://open.feishu.cn"
    token: Secret = Field(description="The hook's token: the last part of its address.")
    secret: Secret | None = Field(default=None, description="The 签名校验 secret, if set.")
    msg_type: Literal["interactive", "text"] = "interactive"

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        body = self.body(message)
        if self.secret is not None:
            timestamp = int(time.time())
            body |= {
                "timestamp": str(timestamp),
                "sign": sign(self.secret.get_secret_value(), timestamp),
            }
        return post(
            client,
            self.endpoint(f"/open-apis/bot/v2/hook/{self.token.get_secret_value()}"),
            body,
            codes=CODES,
            timeout_s=self.timeout_s,
        )

    def body(self, message: Message) -> dict[str, Any]:
        if self.msg_type == "text":
            content = {"text": clip_bytes(plain(message), TEXT_LIMIT_BYTES)}
            return {"msg_type": "text", "content": content}
        text = clip_bytes(message.text, TEXT_LIMIT_BYTES)
        elements: list[dict[str, Any]] = [
            {"tag": "div", "text": {"tag": "lark_md", "content": text}}
        ]
        if message.url:
            button = {
                "tag": "button",
                "text": {"tag": "plain_text", "content": label("open", message.lang)},
                "type": "primary",
                "url": message.url,
            }
            elements.append({"tag": "action", "actions": [button]})
        header = {
            "title": {"tag": "plain_text", "content": message.title},
            "template": HEADER_COLOUR.get(message.severity, "blue"),
        }
        return {"msg_type": "interactive", "card": {"header": header, "elements": elements}}
