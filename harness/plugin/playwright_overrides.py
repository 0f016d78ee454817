"""Overrides of pytest-playwright's settings fixtures, registered after it so they win.

Debian's chromium is used through `executable_path` (`playwright install` cannot download here),
and Chromium is kept from resolving or reaching anything but loopback. With `--braze-proxy`, it
goes through the run's mitmproxy (emulate mode) and trusts its CA.
"""

from __future__ import annotations

from typing import Any

import pytest
from braze_harness.devices.web.chromium import CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> dict[str, Any]:
    from braze_harness.plugin.options import chromium_path

    args = dict(browser_type_launch_args)
    exe = chromium_path(pytestconfig)
    if exe and "executable_path" not in args and not args.get("channel"):
        args["executable_path"] = exe
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS]
    if pytestconfig.getoption("--braze-proxy"):
        proxy = request.getfixturevalue("braze_proxy")
        # the proxy resolves and answers the Braze host (Chromium resolves only the proxy: loopback);
        # loopback (the demo site, the emulator) is loaded directly; the SPKI flag trusts the run's CA
        args["proxy"] = {"server": proxy.url, "bypass": "127.0.0.1,localhost,[::1]"}
        args["args"] = [*args["args"], *proxy.chromium_args()]
    return args
