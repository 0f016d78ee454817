"""Reading the public mobile SDK requests kept as test data (tests/data/mobile, docs/mobile-wire.md,
real-captures-in-the-tests): one JSON file per source and SDK version, each request's body kept as the source's text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.paths import MOBILE_CAPTURES


def capture_files() -> list[Path]:
    return sorted(MOBILE_CAPTURES.glob("*.json"))


def load_capture(path: Path | str) -> dict[str, Any]:
    """A capture file, by path or by name (`"android-15.0.0-her"`)."""
    path = MOBILE_CAPTURES / f"{path}.json" if isinstance(path, str) else path
    return json.loads(path.read_text())


def raw_body(request: dict[str, Any]) -> str:
    """The body exactly as the source shows it (kept as lines of text: number formats such as 1.674022309821E9)."""
    return "\n".join(request["body"])


def body_of(request: dict[str, Any]) -> dict[str, Any]:
    return json.loads(raw_body(request))


def device_object(name: str) -> dict[str, Any]:
    """The `device` object of the first request of capture `name` that carries one."""
    return next(body_of(r)["device"] for r in load_capture(name)["requests"] if "device" in body_of(r))


def device_objects() -> list[dict[str, Any]]:
    """Every `device` object the captures hold."""
    return [body_of(r)["device"] for p in capture_files() for r in load_capture(p)["requests"] if "device" in body_of(r)]
