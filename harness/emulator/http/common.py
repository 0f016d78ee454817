"""What every control-API route shares: the JSON response, one-line errors, reading a JSON object body."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from harness.errors import HarnessConfigError


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def error(status: int, message: str, **more: Any) -> JSON:
    return JSON({"error": message, **more}, status_code=status)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object ({} when empty); a body that is not one is the caller's mistake (400)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HarnessConfigError(f"request body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise HarnessConfigError("request body must be a JSON object")
    return value
