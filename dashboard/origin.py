"""Cross-site request refusal for the console: a state-changing request (sign-in, sign-out,
every Dash callback) must come from a page of this site.

Browsers name the page a request comes from in ``Origin`` (every POST from a form or
``fetch``) or at least in ``Referer``; a request that names another site, or none, is refused
before anything reads its body. The session cookie's ``SameSite=Lax`` already keeps it off
cross-site POSTs in current browsers; this does not depend on that (nor on the cookie: the
sign-in form has none yet). The REST API authenticates with bearer tokens, which a browser
never sends by itself, and is not checked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import Scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def netloc_of(url: str | None) -> str | None:
    """``host[:port]`` of an absolute http(s) URL, lower-cased; ``None`` for anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname + (f":{port}" if port and port != default else "")


class Origins:
    """Which sites may send the console state-changing requests: the one the request is
    addressed to (its ``Host``) and the configured public URL (a proxy may rewrite ``Host``)."""

    def __init__(self, public_url: str | None = None) -> None:
        public = netloc_of(public_url)
        self.trusted = frozenset({public} if public else ())

    def allows(self, scope: Scope) -> bool:
        if scope.get("method", "GET") in SAFE_METHODS or scope["type"] != "http":
            return True
        headers = Headers(scope=scope)
        sender = netloc_of(headers.get("origin")) or netloc_of(headers.get("referer"))
        if sender is None:  # no Origin, "null" (a sandboxed or file page), no Referer
            return False
        own = netloc_of(f"{scope.get('scheme', 'http')}://{headers.get('host', '')}")
        return sender == own or sender in self.trusted
