"""WeCom (企业微信) group robot: ``POST {base}/cgi-bin/webhook/send?key=…``.

No signature: the key in the URL is the only credential (群机器人配置说明,
developer.work.weixin.qq.com/document/path/91770). ``text.content`` holds at most 2048 UTF-8
bytes and ``markdown.content`` 4096; a robot takes 20 messages a minute.

Answer codes (HTTP 200 with ``errcode``): 0 sent; 45009 "api freq out of limit" and -1
system busy are retried; 93000 "invalid webhook url" (key deleted or wrong), 40008 (message
type), 44004 (empty content) and the rest are final.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import Field

from alerts.notifiers.base import Delivery, Message, ReceiverSettings
from alerts.notifiers.robots import AnswerCodes, post
from alerts.notifiers.templates import label, plain
from alerts.notifiers.text import Secret, clip_bytes

CODES = AnswerCodes(fields=("errcode",), messages=("errmsg",), retry={-1: 0.0, 45009: 60.0})
LIMIT_BYTES = {"text": 2048, "markdown": 4096}


class WeComRobot(ReceiverSettings):
    base_url: str = "https://qyapi.weixin.qq.com"
    key: Secret
    msgtype: Literal["text", "markdown"] = "markdown"
    mentioned_mobiles: tuple[str, ...] = Field(
        default=(), description="Mobiles to @ in text messages; '@all' for everyone."
    )

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        return post(
            client,
            self.endpoint("/cgi-bin/webhook/send"),
            self.body(message),
            codes=CODES,
            timeout_s=self.timeout_s,
            params={"key": self.key.get_secret_value()},
        )

    def body(self, message: Message) -> dict[str, Any]:
        limit = LIMIT_BYTES[self.msgtype]
        if self.msgtype == "text":
            content = clip_bytes(plain(message), limit)
            text = {"content": content, "mentioned_mobile_list": list(self.mentioned_mobiles)}
            return {"msgtype": "text", "text": text}
        link = f"\n[{label('open', message.lang)}]({message.url})" if message.url else ""
        # The link goes last and must survive the cut, so the text is clipped to what it leaves.
        head = f"### {message.title}\n{message.text}"
        content = clip_bytes(head, limit - len(link.encode())) + link
        return {"msgtype": "markdown", "markdown": {"content": content}}
