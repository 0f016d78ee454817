"""The run header (`pytest_report_header`): what this run tests, so a wrong setup shows before the first test —
the app or adapter, the target, the Web SDK version, the emulator, the api keys and the proxy."""

from __future__ import annotations

import pytest
from braze_harness.emulator.http.ui_path import ui_url
from braze_harness.plugin import fixed_keys
from braze_harness.plugin.embedded import URL


def header_lines(config: pytest.Config) -> list[str]:
    keys = fixed_keys.of(config)
    target = getattr(config, "braze_target", None)
    target_name = getattr(target, "name", None) or "web"
    adapter = config.getoption("--braze-adapter")
    if adapter:
        app = f"adapter {adapter}"
    elif getattr(target, "adapter", None):
        app = f"adapter {target.adapter} (target {target_name})"  # type: ignore[union-attr]
    elif keys:
        app = "your pages through braze_page + braze (no --braze-adapter: braze_app refuses)"
    else:
        app = "the bundled demo web app (--braze-adapter: yours)"
    url = config.getoption("--braze-emulator-url") or config.stash.get(URL, None)
    emulator = f"{url} (dashboard {ui_url(url)})" if url else "embedded, started by the first test that needs it"
    shown_keys = (
        ", ".join(f"{k.api_key} (shared workspace {k.workspace!r})" for k in keys) + "; tests claim devices"
        if keys
        else "a fresh key per test (--braze-api-key KEY: a key written into your site)"
    )
    lines = [
        f"braze: app: {app}; target: {target_name}",
        f"braze: Web SDK {config.getoption('--braze-web-sdk-version')} (the bundle the harness serves); emulator: {emulator}",
        f"braze: api keys: {shown_keys}",
    ]
    if config.getoption("--braze-proxy"):
        host = config.getoption("--braze-proxy-host")
        lines.append(f"braze: through mitmproxy (emulate mode): {host} answered by the emulator")
    return lines
