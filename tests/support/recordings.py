"""Reading recorded real-SDK traffic: the lab captures (tests/data/captures) and the per-version recordings
(tests/data/recordings, written by `braze-harness record-sdk`) share one exchange shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.paths import DATA

RECORDINGS = DATA / "recordings"
BASE = "http://127.0.0.1:18010"  # any loopback origin: the decoder reads the path


def recording_files() -> list[Path]:
    return sorted(RECORDINGS.glob("web-*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def request_of(exchange: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes | None]:
    """(method, url, headers, body bytes) of a recorded exchange, as the SDK sent it, for `decode` or `Emulator.handle`."""
    body = exchange.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    query = exchange.get("query") or {}
    url = BASE + exchange["path"] + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    return exchange["method"], url, exchange["headers"], body.encode() if body is not None else None
