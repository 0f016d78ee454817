"""A test's part of the run report (`--braze-report`): its calls on the app, its scope's SDK requests, the attributes
set and its expectations' verdicts, as plain data a pytest-xdist worker sends to the controller with the test's
teardown report (a user property, as the data points are)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from braze_harness.adapters.recording import Call
from braze_harness.expect.verdicts import Verdict
from braze_harness.journal import JournalEntry
from braze_harness.timeline import request_data

PROPERTY = "braze_report"  # the user property's name
MAX_REQUESTS = 400  # a test's requests in the report (the rest counted, not drawn)
MAX_CALLS = 400  # a test's calls on its apps in the report (the rest counted, not drawn)


def test_data(
    scope: str,
    entries: list[JournalEntry],
    verdicts: list[Verdict],
    *,
    calls: list[Call] | None = None,
    attributes: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """`calls`: None when they were not recorded (the picture says so); `attributes`: `timeline.attribute_changes`."""
    shown = entries[:MAX_REQUESTS]
    return {
        "scope": scope,
        "calls": None if calls is None else [c.as_json() for c in calls[:MAX_CALLS]],
        "more_calls": len(calls) - MAX_CALLS if calls is not None and len(calls) > MAX_CALLS else 0,
        "requests": [request_data(e) for e in shown],
        "more_requests": len(entries) - len(shown),
        "attributes": list(attributes),
        "verdicts": [v.as_json() for v in verdicts],
    }
