"""Overrides of pytest-playwright's settings fixtures, registered after it so they win.

Debian's chromium is used through `executable_path` (`playwright install` cannot download here),
and Chromium is kept from resolving or reaching anything but loopback.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.chromium import CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config) -> dict[str, Any]:
    from harness.plugin.options import chromium_path

    args = dict(browser_type_launch_args)
    exe = chromium_path(pytestconfig)
    if exe and "executable_path" not in args and not args.get("channel"):
        args["executable_path"] = exe
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS]
    return args
