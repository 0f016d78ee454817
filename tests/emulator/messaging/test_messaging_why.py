"""Why a message was or wasn't served: the emulator's decisions per request (messaging/why.py), the control route
`GET /_emulator/scopes/{scope}/messaging/why`, and the reasons appended to a failed screen expectation."""

from __future__ import annotations

import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.errors import HarnessError
from braze_harness.expect import Expect, JournalSource
from braze_harness.screens import IamView, MessagingScreen, OnScreen, ScreenTimeout

from tests.support.inprocess_sdk import Sdk

PROS = {"id": "pros", "filters": [{"type": "attribute", "name": "plan", "value": "pro"}]}
MODAL = {"type": "MODAL", "message": "Hi"}


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def scoped(emu: Emulator) -> tuple[str, Sdk]:
    scope = emu.create_scope("why")
    return scope, Sdk(emu, emu.create_app(scope)["api_key"])


def _last_seq(emu: Emulator, scope: str) -> int:
    return emu.journal.last_seq(scope)


def test_not_in_the_triggers_served_at_request_n_because_of_the_segment(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[PROS],
        campaigns=[{"kind": "in_app", "id": "welcome", "segment": "pros", "trigger": {"type": "open"}, "message": MODAL}],
    )
    sdk.login("ada", attributes=[{"user_id": "ada", "custom": {"plan": "free"}}])
    seq = _last_seq(emu, scope)
    verdict = emu.messaging.why(scope, campaign="welcome")["verdicts"]["welcome"]
    assert verdict == (
        f"in_app 'welcome' was not in the triggers served at request #{seq} to user 'ada': "
        "not in segment 'pros': plan eq 'pro' (has 'free')"
    )
    sdk.login("ada", attributes=[{"user_id": "ada", "custom": {"plan": "pro"}}])  # now a member: served
    [decision] = emu.messaging.why(scope, campaign="welcome")["decisions"][-1:]
    assert decision["served"] and decision["seq"] == _last_seq(emu, scope)
    assert decision["reasons"] == ["trigger: a session start", "priority 0"]


def test_priority_control_group_and_the_trigger_filter_verdict(emu, scoped):
    scope, sdk = scoped
    played = {"type": "custom_event", "event": "played", "property_filters": [{"key": "genre", "value": "jazz"}]}
    emu.messaging.seed(
        scope,
        campaigns=[
            {"kind": "in_app", "id": "low", "trigger": played, "message": MODAL, "priority": 1},
            {"kind": "in_app", "id": "high", "trigger": played, "message": MODAL, "priority": 5, "control": True},
        ],
    )
    sdk.login("bob")
    sdk.send(sdk.event("ce", {"n": "played", "p": {"genre": "rock"}}))
    verdicts = emu.messaging.why(scope, entries=emu.journal.query())["verdicts"]
    assert "priority: campaign 'high' (priority 5) has the same trigger and wins" in verdicts["low"]
    assert "control group: the SDK logs iec and displays nothing" in verdicts["high"]
    assert (
        "trigger filter: no custom event after it was served matched ('played' {'genre': 'rock'} fails genre eq 'jazz')"
        in (verdicts["low"])
    )
    sdk.send(sdk.event("ce", {"n": "played", "p": {"genre": "jazz"}}))
    assert "trigger filter" not in emu.messaging.why(scope, campaign="low", entries=emu.journal.query())["verdicts"]["low"]


def test_re_eligibility_after_an_impression(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(scope, campaigns=[{"kind": "in_app", "id": "once", "trigger": {"type": "open"}, "message": MODAL}])
    triggers = sdk.login("cy")
    sdk.send(sdk.event("si", {"trigger_ids": [triggers[0]["data"]["trigger_id"]]}))
    sdk.login("cy")
    assert "re-eligibility: already shown to this user and never re-eligible" in emu.messaging.why(scope)["verdicts"]["once"]


def test_cards_flags_and_banners_say_why(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[PROS],
        campaigns=[
            {"kind": "content_card", "id": "news", "card": {"title": "News"}, "segment": "pros"},
            {"kind": "feature_flag", "id": "beta", "enabled": False},
            {"kind": "banner", "id": "b1", "placement": "home", "html": "<p>1</p>", "priority": 1},
            {"kind": "banner", "id": "b2", "placement": "home", "html": "<p>2</p>", "priority": 2},
        ],
    )
    sdk.login("dee")
    sdk.cards()
    sdk.post("feature_flags/sync")
    sdk.post("banners/sync", placements=[{"id": "home"}])
    verdicts = emu.messaging.why(scope)["verdicts"]
    assert "content_card 'news' was not in the Content Cards served" in verdicts["news"]
    assert "not in segment 'pros': plan eq 'pro' (has none)" in verdicts["news"]
    assert verdicts["beta"].endswith(": the flag is disabled")
    assert "priority: banner 'b2' (priority 2) wins placement 'home'" in verdicts["b1"]
    assert "banner 'b2' was in the banners served" in verdicts["b2"]


def test_a_campaign_no_request_asked_for_and_an_unknown_one(emu, scoped):
    scope, _ = scoped
    emu.messaging.seed(scope, campaigns=[{"kind": "in_app", "id": "quiet", "trigger": {"type": "open"}, "message": MODAL}])
    assert "no request of this scope asked for it" in emu.messaging.why(scope, campaign="quiet")["verdicts"]["quiet"]
    assert emu.messaging.why(scope, campaign="nope")["verdicts"]["nope"] == "'nope' is not seeded in this scope"


def test_the_control_route_and_the_client():
    with EmulatorServer() as server:
        client = EmulatorClient(server.url)
        scope = client.create_scope("why-http")
        sdk = Sdk(server.emulator, client.create_app(scope)["api_key"])
        client.seed_messaging(
            scope,
            segments=[PROS],
            campaigns=[{"kind": "in_app", "id": "w", "segment": "pros", "trigger": {"type": "open"}, "message": MODAL}],
        )
        sdk.login("eve")
        answer = client.messaging_why(scope, campaign="w", user_id="eve", channel="in_app")
        assert answer["decisions"][0]["served"] is False and "not in segment 'pros'" in answer["verdicts"]["w"]
        assert client.messaging_why(scope, user_id="somebody-else")["decisions"] == []
        with pytest.raises(HarnessError, match="channel"):
            client.messaging_why(scope, channel="sms")
        client.close()


class _Blank(MessagingScreen):
    """A screen that never shows an in-app message."""

    def wait_iam(self, timeout: float) -> IamView:
        raise ScreenTimeout(f"no in-app message displayed within {timeout:g} s")

    def flush(self) -> None:
        pass

    def _unused(self, *_: object) -> None:
        raise NotImplementedError

    wait_no_iam = iam_count = click_iam = click_iam_button = close_iam = _unused
    open_cards = wait_cards = card_ids = click_card = dismiss_card = _unused
    wait_banner = click_banner_button = wait_flag_gate = _unused


def test_a_screen_failure_carries_the_reason_the_emulator_knows(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[PROS],
        campaigns=[{"kind": "in_app", "id": "welcome", "segment": "pros", "trigger": {"type": "open"}, "message": MODAL}],
    )
    sdk.login("ada")
    expect = Expect(JournalSource(emu.journal, scope, emu.state, messaging=emu.messaging), default_timeout=0.1)
    with pytest.raises(ScreenTimeout) as failed:
        OnScreen(expect, _Blank()).iam_shown("welcome")
    lines = str(failed.value).splitlines()
    assert lines[0] == "no in-app message displayed within 0.1 s"
    assert lines[1].startswith("Meanwhile scope")
    assert lines[2] == "Why (the emulator's messaging log):"
    assert lines[3] == (
        f"  in_app 'welcome' was not in the triggers served at request #{emu.journal.last_seq(scope)} to user 'ada': "
        "not in segment 'pros': plan eq 'pro' (has none)"
    )
    assert any(line.startswith("Recent traffic") for line in lines)  # the traffic is still there
