"""The demo shop through Segment's analytics-next and its Braze web-mode destination (real packages, bundled, in
Chromium): both sides in the one journal, the destination's mapping checked by `expect.cdp_mapping`, an edited mapping
caught, nothing sent off the machine, and the capability table turning a destination limitation into a named skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.inner_pytest import forget_outer_run, run_inner

pytest_plugins = ["pytester"]
ADAPTER = "braze_harness.devices.cdp.segment.adapter:segment_app"


def test_the_shop_through_segment_in_chromium(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """segment_cases.py: the destination's mapping reaches Braze (both sides in one journal, nothing sent off the
    machine), an edited Identify mapping is caught, the destination's own Braze Web SDK is what Braze sees, and web push
    works through it (token, delivery and click, unregistration)."""
    forget_outer_run(monkeypatch)
    pytester.makepyfile(test_shop=(Path(__file__).parent / "segment_cases.py").read_text())
    result = run_inner(pytester, "-p", "no:xdist", timeout=300)
    result.assert_outcomes(passed=4)


def test_a_declared_limitation_skips_the_test_naming_it(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_outer_run(monkeypatch)
    pytester.makepyfile(
        test_suite="""
def test_language(braze, braze_app):
    braze_app.launch()
    braze_app.set_profile(language="en")

def test_unknown_capability_is_a_bug(braze_app):
    braze_app._require("teleport")
"""
    )
    result = run_inner(pytester, "-rs", "--braze-adapter", ADAPTER)
    result.assert_outcomes(skipped=1, failed=1)
    result.stdout.fnmatch_lines(["*SKIPPED*Segment's Braze destination cannot set_profile:language: *reserved: dropped*"])
    result.stdout.fnmatch_lines(["*capability 'teleport' is not declared in its capability table*"])
