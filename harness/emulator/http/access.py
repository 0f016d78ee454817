"""Who may call the control API (docs/security.md): beyond loopback every `/_emulator/` call carries the emulator's
token (`Authorization: Bearer <token>` or `X-Emulator-Token`), except the health check, the dashboard's static files
(`/_emulator/ui/`: no data in them) and CORS preflights; the SDK endpoints never need it (an SDK cannot send it).
On loopback no token is needed unless one was given."""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from braze_harness.emulator.http.ui_path import UI_PREFIX  # the dashboard's static files: no data, the page sends the token

OPEN_PATHS = frozenset({"/_emulator/health"})
TOKEN_HEADER = b"x-emulator-token"
CHALLENGE = "send it as `Authorization: Bearer <token>` or `X-Emulator-Token: <token>`"


def presented_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token a request carries (the first Authorization: Bearer, else X-Emulator-Token)."""
    bearer = other = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"authorization" and bearer is None:
            scheme, _, rest = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                bearer = rest.strip()
        elif lowered == TOKEN_HEADER and other is None:
            other = value.decode("latin-1").strip()
    return bearer if bearer is not None else other


def refusal(headers: list[tuple[bytes, bytes]], token: str) -> str | None:
    """Why a control request is refused (401), or None when it carries the token."""
    given = presented_token(headers)
    if not given:
        return f"this emulator's control API needs its token (printed at start, or --control-token): {CHALLENGE}"
    if not hmac.compare_digest(given.encode(), token.encode()):
        return "the control token given is not this emulator's"
    return None


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


class TokenGuard:
    """An ASGI wrapper of the control app: 401 for a control request without the token."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] != "OPTIONS" and not _open(scope["path"]):
            why = refusal(scope["headers"], self.token)
            if why is not None:
                body = orjson.dumps({"error": "unauthorized", "message": why, "field": "authorization"})
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="braze-emulator"'),
                ]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
