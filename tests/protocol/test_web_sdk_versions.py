"""The Web SDK version table (harness/protocol/web_sdk_versions.py) and the 4.x wire it explains."""

import json

import pytest
from braze_harness.protocol import decode
from braze_harness.protocol.events import InAppMessageDisplayFailure
from braze_harness.protocol.web_sdk_versions import (
    CHANGELOG_URL,
    FEATURES,
    has_feature,
    missing_reason,
    parse_version,
    retry_schedule,
)


@pytest.mark.parametrize(
    ("version", "name", "present"),
    [
        ("4.9.0", "ids_returned_directly", False),
        ("4.10.0", "ids_returned_directly", True),
        ("5.5.0", "banners", False),
        ("5.6.0", "banners", True),
        ("5.9.1", "banner_html", True),
        ("6.0.0", "banner_html", False),  # removed in 6.0.0 ...
        ("6.4.0", "banner_html", False),
        ("6.5.0", "banner_html", True),  # ... and back in 6.5.0
        ("5.9.1", "banner_click_api", False),
        ("6.4.0", "banner_click_api", True),
        ("5.6.1", "retry_after", False),
        ("5.7.0", "retry_after", True),
        ("6.4.0", "server_backoff", False),
        ("6.5.0-beta.1", "server_backoff", True),
        ("6.9.0", "push_unregister_endpoint", False),
        ("6.10.0", "push_unregister_endpoint", True),
        ("4.7.1", "session_end_length", False),
        ("4.8.3", "session_end_length", True),
        ("4.0.3", "iam_control_impression", False),
        ("4.0.4", "iam_control_impression", True),
        ("5.1.1", "iam_display_failure_event", True),
        ("5.2.0", "iam_display_failure_event", False),
        ("4.5.0", "feature_flags", False),
        ("4.6.0", "feature_flags", True),
        # read in the npm sources (storage-manager.js): 4.8.3 and 4.9.0 drop a null standard attribute
        ("4.7.1", "null_push_token", True),
        ("4.8.3", "null_push_token", False),
        ("4.9.0", "null_push_token", False),
        ("4.10.1", "null_push_token", True),
    ],
)
def test_features_follow_the_changelog(version, name, present):
    assert has_feature(version, name) is present


def test_missing_reason_names_the_feature_and_the_versions_that_have_it():
    assert missing_reason("4.10.2", "banners") == (
        "banners: Banners (requestBannersRefresh, subscribeToBannersUpdates) needs Web SDK >= 5.6.0; "
        f"this run uses 4.10.2 ({CHANGELOG_URL})"
    )
    assert "removed in Web SDK 6.0.0 until 6.5.0" in missing_reason("6.2.0", "banner_html")
    gone = missing_reason("6.13.0", "iam_display_failure_event")
    assert gone.endswith(f"removed in Web SDK 5.2.0; this run uses 6.13.0 ({CHANGELOG_URL})")
    assert missing_reason("6.13.0", "banners") is None
    removed = {"iam_display_failure_event"}  # a wire event 6.13.0 no longer sends
    assert all(missing_reason("6.13.0", name) is None for name in FEATURES if name not in removed)


def test_unknown_feature_and_bad_version_are_errors_naming_them():
    with pytest.raises(ValueError, match=r"unknown Web SDK feature 'banner'; known: .*banners"):
        has_feature("6.13.0", "banner")
    with pytest.raises(ValueError, match="'latest'"):
        parse_version("latest")


def test_retry_schedule_before_and_after_server_backoff():
    old = retry_schedule("4.10.2")
    assert not old.server_configurable and not old.honours_retry_after
    # min(300 s, random(10 s, 3 x previous)): the longest first wait is 30 s, then 90 s, capped at 300 s
    assert [old.longest_next_delay_s(p) for p in (None, 30.0, 90.0, 270.0)] == [30.0, 90.0, 270.0, 300.0]
    assert retry_schedule("5.9.1").honours_retry_after
    assert retry_schedule("6.13.0").server_configurable


def test_a_4x_display_failure_decodes_without_drift():
    # what Web SDK 4.10.2 sends when an HTML message arrives while allowUserSuppliedJavascript is off
    event = {"name": "sfe", "time": 1795379909.1, "data": {"trigger_ids": ["t-1"], "error_code": "hd"}, "session_id": "s"}
    body = {"api_key": "k", "device_id": "d", "time": 1795379909, "sdk_version": "4.10.2", "events": [event]}
    decoded = decode("POST", "/api/v3/data/", {}, json.dumps(body).encode())
    assert decoded.ok and decoded.drift == [], decoded.drift
    (failure,) = decoded.events
    assert isinstance(failure, InAppMessageDisplayFailure)
    assert failure.data.trigger_ids == ["t-1"] and failure.data.error_code == "hd"
