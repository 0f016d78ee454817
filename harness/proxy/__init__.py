"""mitmproxy with the Braze addon (`proxy_addons/braze_capture.py`): the runners and the per-run CA.

What the addon captures enters the emulator's one pipeline (in process, or through `POST /_emulator/ingest`);
the runners import mitmproxy only when used.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "InProcessProxy",
    "MitmdumpProcess",
    "ProxyError",
    "build_nss_db",
    "certutil_command",
    "chromium_trust_args",
    "ensure_ca",
    "spki_hash",
]

_LAZY = {
    "InProcessProxy": "braze_harness.proxy.runner",
    "MitmdumpProcess": "braze_harness.proxy.runner",
    "ProxyError": "braze_harness.proxy.runner",
    "build_nss_db": "braze_harness.proxy.ca",
    "certutil_command": "braze_harness.proxy.ca",
    "chromium_trust_args": "braze_harness.proxy.ca",
    "ensure_ca": "braze_harness.proxy.ca",
    "spki_hash": "braze_harness.proxy.ca",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'braze_harness.proxy' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
