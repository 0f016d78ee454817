"""What of a target may be shown in logs, reports and reprs: credentials masked in capabilities and in URLs."""

from __future__ import annotations

import re
from typing import Any

_SECRET_KEYS = {"accesskey", "access_key", "password", "apikey", "api_key"}


def redact_capabilities(caps: dict[str, Any]) -> dict[str, Any]:
    """The same capabilities with credentials masked: what may go into logs, reports and reprs."""
    out: dict[str, Any] = {}
    for key, value in caps.items():
        if isinstance(value, dict):
            out[key] = redact_capabilities(value)
        elif key.lower().split(":")[-1] in _SECRET_KEYS and value:
            out[key] = "***"
        else:
            out[key] = value
    return out


def shown_url(url: str) -> str:
    """`url` as it may be printed: a grid/farm URL's `user:key@` credentials masked."""
    return re.sub(r"//[^/@\s]+@", "//***@", url)
