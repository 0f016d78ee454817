"""The demo shop through mParticle's Web SDK and its Braze kit (real packages, bundled, in Chromium): both sides in
the one journal, the kit's mapping checked by `expect.cdp_mapping`, a misconfigured kit caught, and the capability
table turning a kit limitation into a skip that names it."""

from __future__ import annotations

from pathlib import Path

import pytest
from braze_harness.devices.cdp.mparticle.adapter import CAPABILITIES
from braze_harness.devices.cdp.mparticle.bundle import embedded_braze_version
from braze_harness.devices.cdp.shop import shop_capabilities

from tests.support.inner_pytest import forget_outer_run, run_inner

pytest_plugins = ["pytester"]
ADAPTER = "braze_harness.devices.cdp.mparticle.adapter:mparticle_app"


def test_the_shop_through_mparticle_in_chromium(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """mparticle_cases.py: the kit's mapping reaches Braze (both sides in one journal), a kit identifying users by
    another identity is caught by cdp_mapping, and web push works through the Braze SDK the kit loads (directly, and
    through the kit's soft push prompt)."""
    forget_outer_run(monkeypatch)
    pytester.makepyfile(test_shop=(Path(__file__).parent / "mparticle_cases.py").read_text())
    result = run_inner(pytester, "-p", "no:xdist", timeout=300)
    result.assert_outcomes(passed=4)


def test_the_kit_carries_its_own_braze_web_sdk_and_declares_what_it_cannot_forward() -> None:
    assert embedded_braze_version() == "4.9.0"  # kit 4.1.3; not the project's @braze/web-sdk
    assert CAPABILITIES["set_custom_attribute:increment"] == "mParticle has no increment call: the kit only sets values"
    assert CAPABILITIES["log_event"] is None and CAPABILITIES["purchase"] is None


def test_the_kits_braze_web_sdk_cannot_clear_a_push_token() -> None:
    """Web SDK 4.9.0 (the kit's) drops a null push token from its attribute queue: unregisterPush() and a blocked
    permission never reach Braze. A limitation derived from the SDK's version, gone with a kit carrying 4.10.1+."""
    table = shop_capabilities(CAPABILITIES, embedded_braze_version())
    assert table["enable_push"] is None and table["open_push"] is None
    for capability in ("unregister_push", "disable_push_in_os"):
        assert table[capability].startswith("null_push_token: a null push token reaches Braze")
        assert "removed in Web SDK 4.8.3 until 4.10.1; this run uses 4.9.0" in table[capability]
    assert shop_capabilities(CAPABILITIES, "4.10.2")["unregister_push"] is None
    declared = shop_capabilities({**CAPABILITIES, "unregister_push": "not on this site"}, "4.10.2")
    assert declared["unregister_push"] == "not on this site"  # the SDK's version never lifts a declared limitation


def test_a_declared_limitation_skips_the_test_naming_it(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_outer_run(monkeypatch)
    pytester.makepyfile(
        test_suite="""
import datetime as dt

def test_date_attribute(braze, braze_app):
    braze_app.launch()
    braze_app.set_custom_attribute("joined", dt.date(2026, 1, 2))

def test_unregister_push(braze_app):
    braze_app.unregister_push()

def test_unknown_capability_is_a_bug(braze_app):
    braze_app._require("teleport")
"""
    )
    result = run_inner(pytester, "-rs", "--braze-adapter", ADAPTER)
    result.assert_outcomes(skipped=2, failed=1)
    result.stdout.fnmatch_lines(["*SKIPPED*mParticle's Braze kit cannot unregister_push: null_push_token: *uses 4.9.0*"])
    result.stdout.fnmatch_lines(["*SKIPPED*cannot set_custom_attribute:date: mParticle user attributes are strings*"])
    result.stdout.fnmatch_lines(["*capability 'teleport' is not declared in its capability table*"])
