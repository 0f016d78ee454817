"""Your own site in minutes (docs/your-web-site.md), in pytest subprocesses with the checkout's plugin: the example
project (tests/packaging/project: a page with its api key and Braze host written in, the real Web SDK, reached
through mitmproxy) passes as it is and with `-n 2`; without `--braze-api-key` its failure names the traffic that
arrived for no test and the fix; a fixed key with `braze_app` but no adapter is one line; the run header says what
is under test."""

from __future__ import annotations

import shutil

import pytest

from tests.support.inner_pytest import run_inner
from tests.support.paths import REPO

pytest_plugins = ["pytester"]

PROJECT = REPO / "tests" / "packaging" / "project"
SITE_KEY = "3f1b7c2e-8d4a-4e6f-9b0c-5a2d7e9f1c3b"  # written into tests/packaging/project/site/index.html


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return run_inner(pytester, *args, timeout=240)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The example project copied as it is: its pytest.ini, site and tests."""
    shutil.copytree(PROJECT, pytester.path, dirs_exist_ok=True)
    return pytester


@pytest.mark.integration
def test_the_example_site_with_its_fixed_key_passes_and_the_header_says_what_is_under_test(project: pytest.Pytester) -> None:
    result = run(project)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "braze: app: your pages through braze_page + braze*",
            "braze: Web SDK 6.13.0 *; emulator: *",
            f"braze: api keys: {SITE_KEY} (shared workspace 'default'); tests claim devices",
            "braze: through mitmproxy (emulate mode): sdk.iad-01.braze.com answered by the emulator",
        ]
    )


@pytest.mark.integration
def test_two_tests_with_the_same_fixed_key_stay_apart_under_xdist(project: pytest.Pytester) -> None:
    # test_each_test_sees_only_its_own_purchases counts exactly 3 while the other test buys once, with the same key
    result = run(project, "-n", "2")
    result.assert_outcomes(passed=2)


@pytest.mark.integration
def test_without_the_key_the_failure_names_the_traffic_that_arrived_for_no_test(project: pytest.Pytester) -> None:
    result = run(project, "-o", "addopts=--braze-proxy", "-k", "only_its_own", "--braze-timeout", "4")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*No traffic at all in this scope*",
            "*SDK request(s) arrived that belong to no test (GET /_emulator/unowned):",
            f"*request(s) with api key {SITE_KEY} arrived but belong to no test: pass --braze-api-key {SITE_KEY}*",
        ]
    )


@pytest.mark.integration
def test_a_second_browser_context_is_claimed_with_claim_context(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_two_contexts=f"""
from test_my_site import my_site  # noqa: F401  (the fixture serving the site)


def test_two_visitors(braze_page, braze_new_context, braze, my_site):
    other = braze_new_context()  # a second Braze context (the run's proxy), claimed before its page loads
    seeded = braze.claim_context(other)
    assert list(seeded) == ["{SITE_KEY}"]
    for p in (braze_page, other.new_page()):
        p.goto(my_site + "/index.html")
        p.click("#buy")
    matches = braze.expect.custom_event("bought").exactly(2).within(10, settle=0.5)
    devices = {{m.entry.device_id for m in matches}}
    assert len(devices) == 2 and seeded["{SITE_KEY}"] in devices and devices <= braze.claimed_devices
"""
    )
    result = run(project, "test_two_contexts.py")
    result.assert_outcomes(passed=1)


@pytest.mark.integration
def test_a_context_left_unclaimed_is_named_by_the_failure(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_unclaimed="""
from test_my_site import my_site  # noqa: F401


def test_forgot_to_claim(braze_new_context, braze, my_site):
    page = braze_new_context().new_page()  # a Braze context, but never claimed
    page.goto(my_site + "/index.html")
    page.click("#buy")
    braze.expect.custom_event("bought").within(4)
"""
    )
    result = run(project, "test_unclaimed.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*No traffic at all in this scope*",
            f"*request(s) with api key {SITE_KEY} arrived but belong to no test: their device(s) (*) are claimed by no test: "
            "call braze.claim_context(context)*",
        ]
    )


def test_a_fixed_key_with_braze_app_but_no_adapter_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_demo="def test_demo(braze_app):\n    braze_app.launch()\n")
    result = run(pytester, "--braze-api-key", SITE_KEY)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["braze configuration error: --braze-api-key without --braze-adapter: braze_app would be*"])
    assert "Traceback" not in result.stdout.str()


def test_the_header_says_the_demo_app_or_the_adapter_is_under_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, "--co")
    result.stdout.fnmatch_lines(
        [
            "braze: app: the bundled demo web app (--braze-adapter: yours); target: web",
            "braze: Web SDK 6.13.0 *; emulator: embedded, started by the first test that needs it",
            "braze: api keys: a fresh key per test*",
        ]
    )
    keys = ("--braze-api-key", "k1", "--braze-api-key", "k2=prod")
    result = run(pytester, "--co", "--braze-adapter", "shop.adapter:make_app", *keys)
    result.stdout.fnmatch_lines(
        ["braze: app: adapter shop.adapter:make_app; target: web", "braze: api keys: k1 (shared workspace 'default'), k2 *"]
    )


def test_the_embedded_emulator_and_its_dashboard_are_announced(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_client="def test_up(braze_client):\n    assert braze_client.health()['status'] == 'ok'\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["braze: emulator started: http://127.0.0.1:* (dashboard http://127.0.0.1:*/_emulator/ui/)"])
    result = run(pytester, "-n", "2")  # one emulator for the workers, started before the header: the header says it
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["braze: Web SDK 6.13.0 *; emulator: http://127.0.0.1:* (dashboard http://127.0.0.1:*/_emulator/ui/)"]
    )


def test_api_key_option_mistakes_stop_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = run(pytester, "--braze-api-key", "key=a/b")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --braze-api-key key=a/b: the workspace must be a name without '/'"])
    result = run(pytester, "--braze-api-key", "key=shop", "--braze-api-key", "key=prod")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --braze-api-key key: given with two workspaces (shop, prod)"])
