"""`braze-harness drift A B`: the shape of two SDKs' traffic and what differs, from the real SDKs in Chromium."""

from __future__ import annotations

import json
import subprocess
import sys

from braze_harness.journal import Exchange, Journal
from braze_harness.sdk_drift.shape import diff, shape_of

from tests.support.paths import REPO

URL = "http://127.0.0.1:9090/api/v3/data/"


def _journal(*bodies: dict, headers: dict | None = None) -> Journal:
    journal = Journal()
    for body in bodies:
        journal.append(Exchange("POST", URL, headers or {"x-braze-api-key": "k"}, json.dumps(body), 200, {}), source="t")
    return journal


def test_the_shapes_differ_in_codes_fields_and_headers_not_in_values() -> None:
    event = {"name": "ce", "time": 1.0, "data": {"n": "a", "p": {"anything": 1}}}
    old = _journal({"api_key": "k", "device_id": "d", "events": [event]})
    new = _journal(
        {
            "api_key": "k",
            "device_id": "e",
            "sdk_flavor": "react",
            "events": [{**event, "data": {"n": "b", "p": {}}, "user_id": "u"}],
        },
        {"api_key": "k", "device_id": "e", "events": [{"name": "lr", "time": 2.0, "data": {"latitude": 1.0, "longitude": 2.0}}]},
        headers={"x-braze-api-key": "k", "x-braze-req-attempt": "1"},
    )
    lines = diff(shape_of(old.query()), shape_of(new.query()), "1.0", "2.0")
    assert lines == [
        "+ header on data: x-braze-req-attempt  (only 2.0)",
        "+ field of data: sdk_flavor  (only 2.0)",
        "+ event code: lr  (only 2.0)",
        "+ field of event 'ce': user_id  (only 2.0)",
    ]
    assert diff(shape_of(old.query()), shape_of(old.query()), "a", "b") == []


def test_the_cli_runs_the_same_flow_on_two_real_sdks_and_names_what_changed() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "braze_harness.cli", "drift", "4.0.3", "6.13.0"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert out.startswith("Web SDK 4.0.3 (") and "-> 6.13.0 (" in out
    # facts of the CHANGELOG (docs/web-sdk-versions.md): feature flags from 4.6.0, banners from 5.6.0, the
    # X-Braze-Req-Attempt header from 4.9.0
    assert "+ endpoint: feature_flags/sync  (only 6.13.0)" in out
    assert "+ header on data: x-braze-req-attempt  (only 6.13.0)" in out
    assert "! step 'banners refresh' failed on 4.0.3 only:" in out and "requestBannersRefresh" in out
