"""Each expectation's verdict is recorded when its source keeps a log (what `--braze-report` shows per test): held or
failed with the failure's headline, how long it waited; a settle window adds to its count's verdict; a source without
a log records nothing."""

from __future__ import annotations

import pytest
from braze_harness.expect import Expect, ExpectationFailed, JournalSource
from braze_harness.expect.verdicts import VerdictLog
from braze_harness.journal import Journal

from tests.support.builders import append, ce, data_body


def logged(journal: Journal) -> tuple[Expect, VerdictLog]:
    source = JournalSource(journal, "t")
    source.verdicts = log = VerdictLog()  # type: ignore[attr-defined]
    return Expect(source, default_timeout=0.1), log


def test_held_failed_never_and_settle_are_each_one_verdict() -> None:
    journal = Journal()
    expect, log = logged(journal)
    append(journal, data_body(events=[ce("song_played", {"genre": "jazz"})]), scope="t")

    expect.custom_event("song_played").within(0.2)
    with pytest.raises(ExpectationFailed):
        expect.custom_event("song_skipped").within(0.05)
    expect.custom_event("song_played").exactly(1).within(0.2, settle=0.1)
    expect.event("ce", name="oops").never(within=0.05)
    with pytest.raises(ExpectationFailed):
        expect.in_order(expect.custom_event("song_played"), expect.custom_event("song_skipped")).within(0.01)

    verdicts = log.all()
    assert [(v.passed, v.finished) for v in verdicts] == [(True, True), (False, True), (True, True), (True, True), (False, True)]
    assert verdicts[0].what == "custom event 'song_played'" and verdicts[0].message == ""
    assert verdicts[1].message.startswith("Expected within 0.05 s: custom event 'song_skipped'")
    assert verdicts[1].waited >= 0.05
    assert verdicts[2].what.endswith("exactly 1×") and verdicts[2].waited >= 0.1, "the settle window is the same verdict's"
    assert verdicts[3].what == "never: custom event 'oops'"
    assert verdicts[4].what.startswith("in this order: ")


def test_a_source_without_a_log_records_nothing_and_a_later_failure_marks_nothing_else() -> None:
    journal = Journal()
    expect, log = logged(journal)
    append(journal, data_body(events=[ce("song_played")]), scope="t")
    expect.custom_event("song_played").within(0.1)
    bare = Expect(JournalSource(journal, "t"), default_timeout=0.05)
    with pytest.raises(ExpectationFailed):
        bare.custom_event("song_skipped").within(0.02)
    assert [(v.what, v.passed) for v in log.all()] == [("custom event 'song_played'", True)]
