"""Braze's own browser contexts, next to pytest-playwright's without changing them.

pytest-playwright's `browser`, `context` and `page` stay exactly as the user configured them. The web demo app
(`braze_app`, `braze_app_factory`) runs in contexts of its own, made by `braze_new_context` on `braze_browser`:
- Chromium only: Debian's chromium when Playwright's own is not installed, and the host-resolver rule that keeps
  the browser on loopback (`CHROMIUM_ARGS`); with `--braze-proxy`, the flag trusting the run's CA;
- every browser: non-loopback requests blocked by a route on the context, and with `--braze-proxy` the run's
  mitmproxy as the context's proxy.
These contexts are created from pytest-playwright's `browser_context_args` and reported to its artifacts recorder,
so `--tracing`, `--screenshot` and `--video` apply to them and land in its `--output` folder (`output_path`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from braze_harness.devices.web.chromium import CHROMIUM_ARGS, find_chromium
from braze_harness.errors import HarnessConfigError

LOOPBACK_BYPASS = "127.0.0.1,localhost,[::1]"
_LOOPBACK_URL = re.compile(r"^(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(/|$)")


def chromium_for_playwright(playwright_executable: str | None, explicit: str | None = None) -> str | None:
    """The `executable_path` Braze's Chromium needs: `explicit` (--braze-chromium) or $BRAZE_CHROMIUM if given; none
    when Playwright's own Chromium (`playwright_executable`, its registry path) is installed; else Debian's."""
    import os

    chosen = explicit or os.environ.get("BRAZE_CHROMIUM")
    if chosen:
        return chosen
    if playwright_executable and Path(playwright_executable).is_file():
        return None
    return find_chromium()


def braze_launch_args(
    base: dict[str, Any], browser_name: str, *, executable: str | None, proxy_args: list[str] | None = None
) -> dict[str, Any]:
    """The launch options of Braze's browser: pytest-playwright's `browser_type_launch_args` (headed, slow_mo,
    channel...) plus, for Chromium only, the executable fallback, `CHROMIUM_ARGS` and the proxy's CA flag."""
    args = dict(base)
    if browser_name != "chromium":
        if proxy_args is not None:
            raise HarnessConfigError(f"--braze-proxy needs Chromium (a Chromium flag trusts the run's CA), not {browser_name}")
        return args
    if executable and "executable_path" not in args and not args.get("channel"):
        args["executable_path"] = executable
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS, *(proxy_args or [])]
    return args


def braze_context_args(proxy_url: str | None) -> dict[str, Any]:
    """Per-context options of a Braze context: the run's proxy (loopback, i.e. the demo site and the emulator,
    is loaded directly)."""
    return {"proxy": {"server": proxy_url, "bypass": LOOPBACK_BYPASS}} if proxy_url else {}


# -- the block of non-loopback traffic (the only implementation) -------------------------------------------------


def routed_urls(allowed_hosts: tuple[str, ...] = ()) -> re.Pattern[str]:
    """The URLs `block_non_loopback` looks at: all but loopback, data:/blob:/about: and the allowed hosts."""
    allowed = "".join(rf"|(?:https?|wss?)://{re.escape(h)}(?::\d+)?(?:/|$)" for h in allowed_hosts)
    return re.compile(
        rf"^(?!(?:https?|wss?)://(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])(?::\d+)?(?:/|$)|data:|blob:|about:{allowed})"
    )


def block_non_loopback(context: Any, allowed_hosts: tuple[str, ...] = ()) -> None:
    """Aborts (`net::ERR_BLOCKED_BY_CLIENT`) every request of `context` to a non-loopback host not allowed."""

    def handle(route: Any) -> None:
        url = route.request.url
        if _LOOPBACK_URL.match(url) or url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname in allowed_hosts:
            route.fallback()  # never reached while the regex below is matched as Python would: kept as a guard
        else:
            route.abort("blockedbyclient")

    # Only the requests this regex matches are paused for `handle` (Playwright matches a regex in the browser's
    # driver). A catch-all "**/*" would pause every request until the test's thread next calls Playwright: the
    # SDK's own retry timer would then never get through while a test waits on an expectation.
    context.route(routed_urls(allowed_hosts), handle)


def open_braze_context(browser: Any, context_args: dict[str, Any], sdk_base_url: str) -> Any:
    """A new context of `browser` with `context_args`, under the block of non-loopback requests (the SDK's Braze host
    let out through the proxy)."""
    context = browser.new_context(**context_args)
    block_non_loopback(context, allowed_hosts_for(sdk_base_url))
    return context


def allowed_hosts_for(sdk_base_url: str) -> tuple[str, ...]:
    """Through the proxy, the SDK's Braze host is let out of the page (the proxy answers it)."""
    host = urlsplit(sdk_base_url).hostname
    return (host,) if sdk_base_url.startswith("https:") and host else ()


# -- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def braze_browser(
    pytestconfig: pytest.Config,
    playwright: Any,
    browser_name: str,
    browser_type_launch_args: dict[str, Any],
    braze_proxy: Any,
) -> Generator[Any]:
    """The browser Braze's contexts live in (pytest-playwright's `browser` is never changed): `--browser`'s engine
    (the first one), launched with pytest-playwright's launch args plus Braze's (see `braze_launch_args`)."""
    browser_type = getattr(playwright, browser_name)
    explicit = pytestconfig.getoption("--braze-chromium")
    executable = chromium_for_playwright(browser_type.executable_path, explicit) if browser_name == "chromium" else None
    try:
        args = braze_launch_args(
            browser_type_launch_args,
            browser_name,
            executable=executable,
            proxy_args=braze_proxy.chromium_args() if braze_proxy is not None else None,
        )
    except HarnessConfigError as exc:
        pytest.exit(f"braze: {exc}", returncode=4)
    browser = browser_type.launch(**args)
    yield browser
    browser.close()


@pytest.fixture
def braze_new_context(
    request: pytest.FixtureRequest,
    braze_browser: Any,
    browser_context_args: dict[str, Any],
    braze_proxy: Any,
    braze_sdk_base_url: str,
) -> Generator[Callable[..., Any]]:
    """`make(**kwargs)` -> a new Braze browser context: pytest-playwright's `browser_context_args` (and the
    test's `browser_context_args` marker), the run's proxy, the block of non-loopback requests, and the
    artifacts of pytest-playwright's `--tracing/--screenshot/--video` options. Closed at teardown."""
    recorder = _artifacts_recorder(request)
    marker = next(request.node.iter_markers("browser_context_args"), None)
    base = {**browser_context_args, **(marker.kwargs if marker else {})}
    proxy = braze_context_args(braze_proxy.url if braze_proxy is not None else None)
    contexts: list[Any] = []

    def make(**kwargs: Any) -> Any:
        context = open_braze_context(braze_browser, {**base, **proxy, **kwargs}, braze_sdk_base_url)
        original_close = context.close

        def close(*args: Any, **kw: Any) -> None:
            contexts.remove(context)
            if recorder is not None:
                recorder.on_will_close_browser_context(context)
            original_close(*args, **kw)

        context.close = close
        contexts.append(context)
        if recorder is not None:
            recorder.on_did_create_browser_context(context)
        return context

    yield make
    for context in contexts.copy():
        context.close()


@pytest.fixture(scope="session")
def braze_warm_page(
    braze_browser: Any, browser_context_args: dict[str, Any], braze_proxy: Any, braze_sdk_base_url: str
) -> Generator[Any]:
    """The web demo app's warm page (`warm_page.py`): one Braze context of this worker, reset between tests."""
    from braze_harness.plugin.warm_page import WarmPage

    args = {**browser_context_args, **braze_context_args(braze_proxy.url if braze_proxy is not None else None)}
    pool = WarmPage(lambda: open_braze_context(braze_browser, args, braze_sdk_base_url))
    yield pool
    pool.close()


def warm_page_allowed(request: pytest.FixtureRequest, browser_name: str) -> bool:
    """Whether this test's web demo app may run in the warm page instead of a context of its own: Chromium, no
    `--braze-fresh-contexts`, no `browser_context_args` marker, no pytest-playwright tracing, video or screenshots
    (those are recorded per context)."""
    config = request.config
    if browser_name != "chromium" or config.getoption("--braze-fresh-contexts"):
        return False
    if next(request.node.iter_markers("browser_context_args"), None) is not None:
        return False
    return all(config.getoption(name, "off") in ("off", None) for name in ("--tracing", "--video", "--screenshot"))


def _artifacts_recorder(request: pytest.FixtureRequest) -> Any:
    """pytest-playwright's per-test artifacts recorder (a private fixture): None, with a warning, if it has none."""
    try:
        return request.getfixturevalue("_artifacts_recorder")
    except pytest.FixtureLookupError:
        warnings.warn(
            "braze: this pytest-playwright has no _artifacts_recorder fixture: --tracing/--screenshot/--video do not "
            "apply to the Braze contexts (pytest-playwright==0.10.0 is the tested version)",
            pytest.PytestWarning,
            stacklevel=1,
        )
        return None
