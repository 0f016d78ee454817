"""The Web SDK version under test, for the suites: feature markers that skip with the reason, and the SDK's retries.

`@pytest.mark.braze_web_sdk_feature("banners")` skips a test when the demo web app runs a `--braze-web-sdk-version`
without that feature (harness/protocol/web_sdk_versions.py decides, and names the version that has it). Other
targets (virtual devices, Appium, `--braze-adapter`) are not the Web SDK: the marker does nothing there.

`braze_sdk_retries.wait(expectation.within)`: before 6.5.0 the Web SDK waits 10-30 s, then up to 90 s, before
resending a failed request, whatever the server answers; the wait moves the app's clock (`advance_time`) past the
longest delay the SDK may have picked each time nothing arrived, so its own timer fires without a real wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from braze_harness.expect.report import ExpectationFailed
from braze_harness.protocol.web_sdk_versions import RetrySchedule, missing_reason, retry_schedule

MARKER = "braze_web_sdk_feature"
_POLL_S = 2.0  # how long each look waits before the SDK's clock is moved on (> any Retry-After the suites set)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*features): the test needs these Web SDK features (harness/protocol/web_sdk_versions.py FEATURES); "
        "skipped with the reason on a --braze-web-sdk-version without them",
    )


def web_sdk_version(config: pytest.Config) -> str | None:
    """The `@braze/web-sdk` version of the app under test, or None when the app is not the bundled web demo."""
    from braze_harness.plugin.fixtures import target_adapter

    if config.getoption("--braze-adapter") or target_adapter(config):
        return None
    return str(config.getoption("--braze-web-sdk-version"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    version = web_sdk_version(item.config)
    if version is None:
        return
    for marker in item.iter_markers(MARKER):
        for name in marker.args:
            try:
                reason = missing_reason(version, name)
            except ValueError as exc:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER}: {exc}") from None
            if reason:
                pytest.skip(reason)


class SdkRetries:
    """Waits for what the SDK's own retry timers deliver (see the module docstring)."""

    def __init__(self, app: Any, schedule: RetrySchedule | None) -> None:
        self.app = app
        self.schedule = schedule  # None: not the Web SDK, or one whose backoff the emulator's config keeps short
        self.clock_moved_s = 0.0

    def wait[T](self, within: Callable[[float], T], timeout: float = 20.0) -> T:
        """`within(seconds)` (an expectation's `.within`) until it holds or `timeout` real seconds have passed."""
        if self.schedule is None:
            return within(timeout)
        deadline = time.monotonic() + timeout
        step: float | None = None
        while True:
            try:
                return within(max(0.1, min(_POLL_S, deadline - time.monotonic())))
            except ExpectationFailed:
                if time.monotonic() >= deadline:
                    raise
            step = self.schedule.longest_next_delay_s(step)
            self.app.advance_time(step)  # past the longest delay the SDK may have drawn: its retry timer fires now
            self.clock_moved_s += step


@pytest.fixture
def braze_sdk_retries(request: pytest.FixtureRequest, braze_app: Any) -> SdkRetries:
    """`wait(expectation.within, timeout=20)` for data the SDK delivers on its own retry schedule."""
    # an adapter whose app carries its own Web SDK (a CDP kit bundles one) names it: `braze_web_sdk_version`
    version = getattr(braze_app, "braze_web_sdk_version", None) or web_sdk_version(request.config)
    schedule = retry_schedule(version) if version else None
    return SdkRetries(braze_app, None if schedule is None or schedule.server_configurable else schedule)
