"""`braze-harness record-sdk VERSION --out FILE`: keep the drift flow's raw traffic as a recording.

The recording has the shape of the lab captures under tests/data/captures (`exchanges` of method, path, query,
headers, body, response), so one replay helper reads both; headers are lower-cased as the journal keeps them.
A recording is what the real Web SDK of that version sent through the same scripted flow (`run.py`), replayed
by tests without a browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from braze_harness.errors import HarnessConfigError
from braze_harness.journal import Exchange
from braze_harness.sdk_drift.run import API_KEY, USER, FlowResult, run_flow

FLOW_NAME = "braze_harness.sdk_drift.run (the `braze-harness drift` flow)"
# transport and browser details (Chromium's, not the SDK's), which differ on every run or machine
_DROPPED_HEADERS = frozenset({"host", "connection", "content-length", "accept-encoding", "accept-language", "origin", "referer"})


def _kept(header: str) -> bool:
    return header not in _DROPPED_HEADERS and not header.startswith("sec-")


def _body(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # kept as sent: the replay decodes it as text


def recorded_exchange(exchange: Exchange) -> dict[str, Any]:
    url = urlsplit(exchange.url)
    return {
        "method": exchange.method,
        "path": url.path,
        "query": dict(parse_qsl(url.query)),
        "headers": {k: v for k, v in exchange.headers.items() if _kept(k)},
        "body": _body(exchange.body),
        "response": {"status": exchange.status, "body": exchange.response},
    }


def recording(result: FlowResult) -> dict[str, Any]:
    return {
        "sdk": "web",
        "version": result.version,
        "recorded_with": FLOW_NAME,
        "api_key": API_KEY,
        "user": USER,
        "steps": result.steps,
        "failed_steps": result.failed_steps,
        "exchanges": [recorded_exchange(x) for x in result.exchanges],
    }


def record(version: str, out: Path, *, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    if not out.parent.is_dir():  # checked before the browser starts; a typo is not a folder to create
        raise HarnessConfigError(f"--out {out}: no folder {out.parent}")
    data = recording(run_flow(version, log=log))
    out.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    return data
