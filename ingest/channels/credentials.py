"""Each platform's own names for the credentials a channel keeps, in the order its open
platform's console shows them. Every connector reads the same three slots (``app_key``,
``app_secret``, ``access_token``: see ``ChannelConfig.from_row``); what they are called, and
which of them are secret, is the platform's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CredentialField:
    slot: str
    """The key in ``channels.credentials`` the connectors read."""
    label: str
    """The platform's name for it."""
    secret: bool
    required: bool


def _fields(key: str, secret: str, token: str) -> tuple[CredentialField, ...]:
    return (
        CredentialField("app_key", key, secret=False, required=True),
        CredentialField("app_secret", secret, secret=True, required=True),
        CredentialField("access_token", token, secret=True, required=False),
    )


CREDENTIAL_FIELDS: dict[str, tuple[CredentialField, ...]] = {
    # TOP: the seller's authorisation is the "session" parameter (SessionKey).
    "taobao": _fields("App Key", "App Secret", "SessionKey"),
    "tmall": _fields("App Key", "App Secret", "SessionKey"),
    # Pinduoduo's open platform names the app client_id / client_secret.
    "pdd": _fields("client_id", "client_secret", "access_token"),
    "jd": _fields("App Key", "App Secret", "access_token"),
    "douyin": _fields("app_key", "app_secret", "access_token"),
    # Xiaohongshu's ark API: appId / appSecret, the seller's accessToken.
    "xiaohongshu": _fields("appId", "appSecret", "accessToken"),
}
"""Platform code → its credential fields; a platform without an open API (``import``) has
none."""
