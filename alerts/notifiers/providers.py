"""Receiver kind -> the provider model that validates its settings and sends."""

from __future__ import annotations

from alerts.notifiers.aliyun_sms import AliyunSms
from alerts.notifiers.base import ReceiverSettings
from alerts.notifiers.dingtalk import DingTalkRobot
from alerts.notifiers.feishu import FeishuBot
from alerts.notifiers.tencent_sms import TencentSms
from alerts.notifiers.twilio_sms import TwilioSms
from alerts.notifiers.webhook import StandardWebhook
from alerts.notifiers.wecom import WeComRobot

PROVIDERS: dict[str, type[ReceiverSettings]] = {
    "webhook": StandardWebhook,
    "dingtalk": DingTalkRobot,
    "wecom": WeComRobot,
    "feishu": FeishuBot,
    "aliyun_sms": AliyunSms,
    "tencent_sms": TencentSms,
    "twilio_sms": TwilioSms,
}
