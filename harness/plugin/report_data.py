"""A test's part of the run report (`--braze-report`): its scope's SDK requests and its expectations' verdicts, as
plain data a pytest-xdist worker sends to the controller with the test's teardown report (a user property, as the
data points are)."""

from __future__ import annotations

from typing import Any

from braze_harness.expect.verdicts import Verdict
from braze_harness.journal import JournalEntry
from braze_harness.timeline import request_data

PROPERTY = "braze_report"  # the user property's name
MAX_REQUESTS = 400  # a test's requests in the report (the rest counted, not drawn)


def test_data(scope: str, entries: list[JournalEntry], verdicts: list[Verdict]) -> dict[str, Any]:
    shown = entries[:MAX_REQUESTS]
    return {
        "scope": scope,
        "requests": [request_data(e) for e in shown],
        "more_requests": len(entries) - len(shown),
        "verdicts": [v.as_json() for v in verdicts],
    }
