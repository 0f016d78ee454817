"""`@pytest.mark.braze_web_sdk_feature` skips with the reason on a Web SDK version without the feature, and
`braze_sdk_retries` moves an old SDK's clock past its retry wait. Pytest subprocesses, no browser."""

from __future__ import annotations

import pytest
from braze_harness.expect.report import ExpectationFailed
from braze_harness.plugin.web_sdk import SdkRetries
from braze_harness.protocol.web_sdk_versions import retry_schedule

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]

TESTS = """
import pytest

@pytest.mark.braze_web_sdk_feature("banners")
def test_banners():
    pass

@pytest.mark.braze_web_sdk_feature("sdk_authentication")
def test_auth():
    pass
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, "-rs", *args, timeout=120)


def test_a_version_without_the_feature_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_features=TESTS)
    result = run(pytester, "--braze-web-sdk-version=4.10.2")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*SKIPPED*banners: Banners (requestBannersRefresh*needs Web SDK >= 5.6.0; this run uses 4.10.2*"]
    )


def test_the_default_version_runs_them_and_other_targets_ignore_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_features=TESTS)
    run(pytester).assert_outcomes(passed=2)
    run(pytester, "--braze-web-sdk-version=4.10.2", "--braze-target=android-virtual").assert_outcomes(passed=2)


def test_an_unknown_feature_name_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_typo='import pytest\n\n@pytest.mark.braze_web_sdk_feature("banner")\ndef test_x():\n    pass\n')
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown Web SDK feature 'banner'; known: *banners*"])


class _Clock:
    """The app's clock as the suites see it (`advance_time`) — all SdkRetries touches."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance_time(self, seconds: float) -> None:
        self.now += seconds


def test_retries_move_an_old_sdks_clock_past_each_longest_wait() -> None:
    app = _Clock()
    retries = SdkRetries(app, retry_schedule("5.9.1"))
    retry_due_at = [27.0, 27.0 + 80.0]  # what the SDK drew: 27 s, then 80 s (<= 3 x 27)
    sent: list[float] = []

    def within(_seconds: float) -> str:
        while retry_due_at and app.now >= retry_due_at[0]:
            sent.append(retry_due_at.pop(0))
        if retry_due_at:
            raise ExpectationFailed("not yet")
        return "delivered"

    assert retries.wait(within, timeout=5) == "delivered"
    assert sent == [27.0, 107.0] and app.now == 30.0 + 90.0  # moved 30 s, then 90 s


def test_a_server_configured_sdk_is_only_waited_for() -> None:
    app = _Clock()
    retries = SdkRetries(app, None)
    assert retries.wait(lambda seconds: seconds, timeout=7) == 7
    assert app.now == 0.0
