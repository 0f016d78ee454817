"""The plugin's `--braze-proxy`, in a pytest subprocess: the demo app's SDK talks HTTPS to
sdk.iad-01.braze.com through mitmproxy (emulate mode, the run's CA trusted by SPKI), answered by the
emulator, with no internet; and its option errors are one line."""

from __future__ import annotations

import pytest

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, *args, timeout=120)


@pytest.mark.integration
def test_the_web_app_runs_through_the_proxy_to_a_real_braze_host(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_through_proxy="""
def test_event_through_the_proxy(braze, braze_app, braze_proxy, braze_sdk_base_url):
    assert braze_sdk_base_url == "https://sdk.iad-01.braze.com"
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.login(user)
    braze_app.log_event("song_played", {"genre": "jazz"})
    braze_app.flush()
    braze.expect.custom_event("song_played", props={"genre": "jazz"}, user=user).within(10)
    braze.expect.profile(user).has(custom_events={"song_played": 1}).within(5)
    assert {e.exchange.url.split("/api/v3/")[0] for e in braze.entries()} == {"https://sdk.iad-01.braze.com"}
    assert braze_proxy.addon.counts["forwarded"] >= 3 and braze_proxy.ca_cert.is_file()
"""
    )
    result = run(pytester, "--braze-proxy")
    result.assert_outcomes(passed=1)
    assert "warnings" not in result.stdout.str()  # mitmproxy's import-time noise is filtered


def test_proxy_option_mistakes_stop_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, "--braze-proxy", "--braze-proxy-allow-hosts", "https://api.example.com")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --braze-proxy-allow-hosts: 'https://api.example.com': give host names, not URLs"])
    result = run(pytester, "--braze-proxy-host", "https://sdk.iad-01.braze.com")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --braze-proxy-host: 'https://sdk.iad-01.braze.com' is not a host name*"])
