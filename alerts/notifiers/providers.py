"""Receiver kind -> the provider model that validates its settings and sends.

``notifier_for`` refuses bad settings with one precise line per problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from alerts.notifiers.aliyun_sms import AliyunSms
from alerts.notifiers.base import Notifier, ReceiverSettings
from alerts.notifiers.dingtalk import DingTalkRobot
from alerts.notifiers.feishu import FeishuBot
from alerts.notifiers.tencent_sms import TencentSms
from alerts.notifiers.twilio_sms import TwilioSms
from alerts.notifiers.webhook import StandardWebhook
from alerts.notifiers.wecom import WeComRobot
from store.errors import InvalidInput

PROVIDERS: dict[str, type[ReceiverSettings]] = {
    "webhook": StandardWebhook,
    "dingtalk": DingTalkRobot,
    "wecom": WeComRobot,
    "feishu": FeishuBot,
    "aliyun_sms": AliyunSms,
    "tencent_sms": TencentSms,
    "twilio_sms": TwilioSms,
}


class InvalidReceiver(InvalidInput):
    """Receiver settings that no provider would accept."""

    code = "invalid_receiver"


def notifier_for(kind: str, settings: Mapping[str, Any]) -> Notifier:
    """The notifier for a receiver's stored ``settings``, validated by its provider's model."""
    model = PROVIDERS.get(kind)
    if model is None:
        known = ", ".join(sorted(PROVIDERS))
        raise InvalidReceiver(f"unknown receiver kind {kind!r} (known: {known})")
    try:
        return model.model_validate(dict(settings))
    except ValidationError as error:
        raise InvalidReceiver(f"{kind} receiver: {problems(error)}") from None


def problems(error: ValidationError) -> str:
    """``field: problem`` for every error, without pydantic's URLs and input echoes (secrets)."""
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"]) or "settings"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)
