"""The waiting DSL: counts, never, order, attributes, profiles — and what its failures say."""

import time

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.expect import ANONYMOUS, Expect, ExpectationFailed, JournalSource
from braze_harness.expect.waiting import wait_for
from braze_harness.journal import Journal

from tests.support.builders import append as _append
from tests.support.builders import ce, data_body, later, ss


def append(journal, body, *, api_key="k", **kw):
    """Key "k" is scope "t"'s (as the emulator's tenancy would say); other keys belong to no scope."""
    return _append(journal, body, api_key=api_key, scope="t" if api_key == "k" else None, **kw)


@pytest.fixture
def journal():
    return Journal()


@pytest.fixture
def expect(journal):
    return Expect(JournalSource(journal, "t"), default_timeout=2)


def test_within_returns_as_soon_as_the_event_arrives(journal, expect):
    later(0.1, append, journal, data_body(events=[ce("song_played", {"genre": "jazz", "n": 3}, user="u1")]))
    started = time.monotonic()
    matches = expect.custom_event("song_played", props={"genre": "jazz"}, user="u1").within(5)
    assert time.monotonic() - started < 1.5
    assert matches[0].event.data.p["n"] == 3 and matches[0].user_id == "u1"


def test_failure_shows_nearest_misses_field_by_field_and_recent_traffic(journal, expect):
    append(journal, data_body(events=[ce("song_played", {"genre": "rock"}, user="u1"), ce("other", user="u2")]))
    append(journal, "{bad json")
    with pytest.raises(ExpectationFailed) as failed:
        expect.custom_event("song_played", props={"genre": "jazz"}, user="u1").within(0.2)
    text = str(failed.value)
    assert text.startswith("Expected within 0.2 s: custom event 'song_played' with props ⊇ {'genre': 'jazz'} from user 'u1'")
    assert "Nearest misses:\n  #1 ce 'song_played' {\"genre\":\"rock\"} (user=u1): props.genre: 'rock' != 'jazz'" in text
    lines = text.splitlines()
    assert lines.index("Nearest misses:") < lines.index("Bad requests meanwhile:") < lines.index("Recent traffic (2 of 2):")
    assert "malformed JSON" in text


def test_no_traffic_at_all_says_so(expect):
    with pytest.raises(ExpectationFailed, match="No traffic at all in this scope"):
        expect.session_start().within(0.05)


def test_other_scopes_are_invisible(journal, expect):
    append(journal, data_body(api_key="someone-else", events=[ce("theirs")]), api_key="someone-else")
    with pytest.raises(ExpectationFailed):
        expect.custom_event("theirs").within(0.1)


def test_exactly_fails_fast_on_too_many_and_settles(journal, expect):
    append(journal, data_body(events=[ce("x"), ce("x")]))
    expect.custom_event("x").exactly(2).within(1, settle=0.1)
    later(0.05, append, journal, data_body(events=[ce("x")]))
    with pytest.raises(ExpectationFailed, match=r"exactly 2× .*got 3"):
        expect.custom_event("x").exactly(2).within(1, settle=1)


def test_at_least_waits_for_the_count(journal, expect):
    append(journal, data_body(events=[ce("x")]))
    later(0.05, append, journal, data_body(events=[ce("x"), ce("x")]))
    assert len(expect.custom_event("x").at_least(3).within(2)) == 3


def test_never_holds_the_window_and_fails_at_once(journal, expect):
    started = time.monotonic()
    expect.custom_event("oops").never(within=0.3)
    assert time.monotonic() - started >= 0.3
    later(0.05, append, journal, data_body(events=[ce("oops", user="u9")]))
    started = time.monotonic()
    with pytest.raises(ExpectationFailed, match="Expected never: custom event 'oops'") as failed:
        expect.custom_event("oops").never(within=5)
    assert time.monotonic() - started < 2
    assert "Offending matches:" in str(failed.value) and "(user=u9)" in str(failed.value)


def test_after_mark_ignores_earlier_traffic(journal, expect):
    append(journal, data_body(events=[ss()]))
    mark = expect.mark()
    expect.session_start().after(mark).never(within=0.1)
    append(journal, data_body(events=[ss(session="s2")]))
    assert expect.session_start().after(mark).within(0.5)[0].event.session_id == "s2"


def test_in_order_uses_event_time_not_arrival(journal, expect):
    # the retried `ss` arrives after a newer event (docs/web-sdk-wire.md, retries)
    append(journal, data_body(events=[ce("later", t=20)]))
    append(journal, data_body(events=[ss(t=10)]))
    expect.in_order(expect.session_start(), expect.custom_event("later")).within(0.5)
    with pytest.raises(ExpectationFailed) as failed:
        expect.in_order(expect.custom_event("later"), expect.session_start()).within(0.1)
    assert "✓ 1. custom event 'later'" in str(failed.value) and "✗ 2. session start" in str(failed.value)


def test_user_anonymous_and_predicates(journal, expect):
    append(journal, data_body(events=[ce("anon"), ce("known", {"n": 5}, user="u1")]))
    expect.custom_event("anon", user=ANONYMOUS).within(0.1)
    expect.custom_event("known", props={"n": lambda n: n > 3}).within(0.1)
    with pytest.raises(ExpectationFailed):
        expect.custom_event("known", user=ANONYMOUS).within(0.05)


def test_bools_are_not_ints(journal, expect):
    append(journal, data_body(events=[ce("flag", {"on": 1})]))
    with pytest.raises(ExpectationFailed, match=r"props\.on: 1 != True"):
        expect.custom_event("flag", props={"on": True}).within(0.05)


def test_attribute_expectations(journal, expect):
    append(journal, data_body(attributes=[{"user_id": "u1", "first_name": "Ada", "custom": {"plan": "pro"}}]))
    expect.attributes(user="u1", first_name="Ada", custom={"plan": "pro"}).within(0.1)
    with pytest.raises(ExpectationFailed, match=r"first_name: 'Ada' != 'Grace'"):
        expect.attributes(user="u1", first_name="Grace").within(0.05)


def test_purchase_price_compares_numbers_across_platforms(journal, expect):
    append(
        journal, data_body(events=[{"name": "p", "time": 1, "data": {"pid": "sku", "c": "USD", "p": "9.99", "q": 2, "pr": {}}}])
    )
    expect.purchase("sku", price=9.99, quantity=2).within(0.1)
    with pytest.raises(ExpectationFailed):
        expect.purchase("sku", price=9.98).within(0.05)


# -- profiles, in process against the real emulator state ---------------------------------------


@pytest.fixture
def emulator():
    emu = Emulator()
    emu.create_app("t", workspace="test", api_key="k")
    return emu


def _post(emu, body):
    emu.handle("POST", "http://127.0.0.1/api/v3/data/", {"x-braze-api-key": "k"}, body.encode())


def test_profile_expectation_waits_for_state(emulator):
    expect = Expect(JournalSource(emulator.journal, "t", emulator.state), default_timeout=2)
    attrs = [{"user_id": "u1", "first_name": "Ada", "custom": {"plan": "pro"}}]
    later(
        0.05, _post, emulator, data_body(events=[ss(user="u1"), ce("song", user="u1"), ce("song", user="u1")], attributes=attrs)
    )
    profile = expect.profile("u1").has(first_name="Ada", custom={"plan": "pro"}, sessions=1, custom_events={"song": 2}).within()
    assert profile["external_id"] == "u1"


def test_profile_expectation_failure_shows_the_profile(emulator):
    expect = Expect(JournalSource(emulator.journal, "t", emulator.state))
    _post(emulator, data_body(events=[ss(user="u1")], attributes=[{"user_id": "u1", "first_name": "Ada"}]))
    with pytest.raises(ExpectationFailed) as failed:
        expect.profile("u1").has(first_name="Grace", sessions=2).within(0.1)
    text = str(failed.value)
    assert "first_name: 'Ada' != 'Grace'" in text and "sessions: 1 != 2" in text
    assert '"first_name":"Ada"' in text
    with pytest.raises(ExpectationFailed, match="no profile with external_id 'nobody'"):
        expect.profile("nobody").within(0.05)


# -- the one wait primitive: state outside the journal, nudges, the one failure -------------------------


def test_wait_for_outside_the_journal_polls_and_fails_with_the_last_value():
    looks = []

    def read(entries):
        assert entries == []  # no journal behind this wait
        looks.append(len(looks))
        return len(looks)

    assert wait_for(None, 1, read, expected="three looks", until=lambda n: n >= 3, every=0.01) == 3
    with pytest.raises(ValueError, match="needs `every`"):
        wait_for(None, 1, read, expected="x")
    with pytest.raises(ExpectationFailed) as failed:
        wait_for(None, 0.1, lambda _: "grey", expected="the light green", until=lambda c: c == "green", every=0.02)
    text = str(failed.value)
    assert text.startswith("Expected within 0.1 s: the light green.\nWaited 0.1")
    assert "Last seen:\n  'grey'" in text
    assert "traffic" not in text  # a screen is not in the journal: no traffic section


def test_wait_for_on_the_journal_wakes_on_an_interval_and_reports_the_traffic(journal, expect):
    outside = {"ready": False}
    later(0.1, outside.update, ready=True)  # changes without any journal change
    started = time.monotonic()
    assert wait_for(expect.source, 3, lambda _: outside["ready"], expected="ready", until=bool, every=0.05) is True
    assert time.monotonic() - started < 1.5
    append(journal, data_body(events=[ce("x")]))
    with pytest.raises(ExpectationFailed) as failed:
        wait_for(expect.source, 0.1, lambda _: 0, expected="a count of 2", until=lambda n: n == 2, show=lambda n: f"{n} seen")
    text = str(failed.value)
    assert "Waited 0.1" in text and "scope 't' saw 1 request(s), 1 event(s), 0 bad" in text
    assert "Last seen:\n  0 seen" in text and "Recent traffic (1 of 1):" in text
    with pytest.raises(ExpectationFailed, match=r"Expected within 5 s: a count of 2 — 3 is over 2\."):
        wait_for(
            expect.source, 5, lambda _: 3, expected="a count of 2", until=lambda n: n == 2, fail_fast=lambda n: f"{n} is over 2"
        )


def test_nudge_runs_at_once_and_on_its_interval_while_waiting(journal, expect):
    nudges = []

    def flush():  # the app's flush: the second one sends what was queued
        nudges.append(time.monotonic())
        if len(nudges) == 2:
            append(journal, data_body(events=[ce("queued")]))

    expect.custom_event("queued").nudge(flush, every=0.05).within(2)
    assert len(nudges) == 2 and nudges[1] - nudges[0] >= 0.04


# -- campaign metrics ---------------------------------------------------------------------------------------


@pytest.fixture
def metrics():
    return {"welcome": {"campaign": "welcome", "totals": {}, "uniques": {}, "by_user": {}}}


@pytest.fixture
def counted(journal, metrics):
    """An Expect whose metrics reader reads `metrics` (the emulator counts them from the journal)."""
    return Expect(JournalSource(journal, "t"), default_timeout=2, metrics=lambda cid: metrics[cid])


def _impression(journal, metrics, user="u1"):
    m = metrics["welcome"]
    m["totals"]["si"] = m["totals"].get("si", 0) + 1
    m["by_user"][user] = {"si": m["by_user"].get(user, {}).get("si", 0) + 1}
    m["uniques"]["si"] = len(m["by_user"])
    append(journal, data_body(events=[{"name": "si", "time": 1795379909.0, "data": {"trigger_ids": ["x"]}, "user_id": user}]))


def test_metrics_wait_on_journal_changes(journal, metrics, counted):
    later(0.1, _impression, journal, metrics)
    started = time.monotonic()
    got = counted.metrics("welcome").totals(si=1).uniques(si=1).within(5)
    assert time.monotonic() - started < 1.5
    assert got["by_user"] == {"u1": {"si": 1}}
    assert counted.metrics("welcome").totals(si=lambda n: n >= 1).get()["totals"] == {"si": 1}


def test_metrics_failure_says_what_differs_and_shows_the_traffic(journal, metrics, counted):
    _impression(journal, metrics)
    with pytest.raises(ExpectationFailed) as failed:
        counted.metrics("welcome").totals(si=2, sc=1).uniques(si=1).within(0.2)
    text = str(failed.value)
    assert text.startswith("Expected within 0.2 s: campaign 'welcome' metrics with totals si=2, sc=1 and uniques si=1.")
    assert "Last seen:\n  totals.si: 1 != 2\n  totals.sc: 0 != 1\n  is: " in text
    assert "Recent traffic (1 of 1):" in text


def test_metrics_over_the_count_fail_at_once(journal, metrics, counted):
    _impression(journal, metrics)
    _impression(journal, metrics, user="u2")
    started = time.monotonic()
    with pytest.raises(ExpectationFailed, match=r"— totals\.si is 2, over 1 \(counts only grow\)\."):
        counted.metrics("welcome").totals(si=1).within(5)
    assert time.monotonic() - started < 1


def test_metrics_of_a_canvas_step_and_without_a_reader(journal, metrics, counted):
    metrics["onb"] = {"totals": {"si": 1}, "uniques": {}, "by_user": {}, "steps": {"hello": {"totals": {"si": 1}}}}
    assert counted.metrics("onb").step("hello").totals(si=1).within(0.1) == {"totals": {"si": 1}}
    with pytest.raises(ExpectationFailed, match="campaign 'onb' step 'bye' metrics with totals si=1"):
        counted.metrics("onb").step("bye").totals(si=1).within(0.05)
    with pytest.raises(RuntimeError, match="no metrics reader"):
        Expect(JournalSource(journal, "t")).metrics("welcome")
