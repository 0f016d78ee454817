"""`OnScreen` on a fake screen: the flush nudges the wait, a screen's failure carries the scope's traffic."""

from __future__ import annotations

import pytest
from braze_harness.expect import Expect, ExpectationFailed, JournalSource
from braze_harness.journal import Journal
from braze_harness.protocol.ids import trigger_id
from braze_harness.screens import IamView, MessagingScreen, OnScreen, ScreenTimeout

from tests.support.builders import append, ce, data_body


class FakeScreen(MessagingScreen):
    """Shows an IAM (or not); its flush sends the impression only the second time (the SDK queues it late)."""

    def __init__(self, journal: Journal, shown: bool = True) -> None:
        self.journal = journal
        self.shown = shown
        self.flushes = 0

    def wait_iam(self, timeout: float) -> IamView:
        if not self.shown:
            raise ScreenTimeout(f"no in-app message displayed within {timeout:g} s")
        return IamView(kind="modal", header="Hi")

    def flush(self) -> None:
        self.flushes += 1
        if self.flushes == 2:
            si = {"name": "si", "time": 1795379909.0, "data": {"trigger_ids": [trigger_id("welcome")]}}
            append(self.journal, data_body(events=[si]), scope="t")

    def _unused(self, *_: object) -> None:
        raise NotImplementedError

    wait_no_iam = iam_count = click_iam = click_iam_button = close_iam = _unused
    open_cards = wait_cards = card_ids = click_card = dismiss_card = _unused
    wait_banner = click_banner_button = wait_flag_gate = _unused


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def expect(journal: Journal) -> Expect:
    return Expect(JournalSource(journal, "t"), default_timeout=2)


def test_the_impression_is_waited_for_while_flushing(journal: Journal, expect: Expect) -> None:
    screen = FakeScreen(journal)
    assert OnScreen(expect, screen).iam_shown("welcome", header="Hi") == IamView(kind="modal", header="Hi")
    assert screen.flushes == 2  # at once, then once more after FLUSH_EVERY: the second one sent the `si`


def test_a_screen_failure_carries_the_scopes_traffic(journal: Journal, expect: Expect) -> None:
    append(journal, data_body(events=[ce("opened")]), scope="t")
    with pytest.raises(ScreenTimeout) as failed:
        OnScreen(expect, FakeScreen(journal, shown=False)).iam_shown("welcome", within=0.1)
    assert isinstance(failed.value, ExpectationFailed)
    text = str(failed.value)
    assert text.startswith("no in-app message displayed within 0.1 s\nMeanwhile scope 't' saw 1 request(s), 1 event(s), 0 bad.")
    assert "Recent traffic (1 of 1):" in text and "'opened'" in text


def test_a_missing_impression_fails_with_the_full_window(journal: Journal, expect: Expect) -> None:
    screen = FakeScreen(journal)
    screen.flushes = 5  # nothing more will be sent
    with pytest.raises(ExpectationFailed, match=r"^Expected exactly 1× within 0\.3 s: event `si`.*\nWaited 0\.3"):
        OnScreen(expect, screen).iam_shown("welcome", within=0.3)


def test_onscreen_takes_the_expect_not_the_handle(expect: Expect) -> None:
    class Handle:
        pass

    with pytest.raises(TypeError, match=r"braze\.expect"):
        OnScreen(Handle(), FakeScreen(Journal()))  # type: ignore[arg-type]
