"""Canvases, the per-scope clock, the Content Cards rate limit and `abort_message`, in the emulator (in process)
and over the control API / `braze.messaging` helpers."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging import DefinitionError
from braze_harness.emulator.messaging.canvas_models import parse_canvas
from braze_harness.emulator.messaging.canvases import bucket
from braze_harness.emulator.messaging.templating import Aborted, TemplateError, render, template_data
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.protocol.ids import trigger_id

from tests.support.inprocess_sdk import Sdk

DAY = 86400
HELLO = {"type": "MODAL", "header": "Hello", "message": "Welcome aboard"}


def onboarding(**over: Any) -> dict[str, Any]:
    canvas = {
        "id": "onb",
        "entry": {"type": "custom_event", "event": "signed_up", "property_filters": [{"key": "plan", "value": "pro"}]},
        "steps": [
            {"id": "hello", "type": "message", "channel": "in_app_message", "message": HELLO},
            {"id": "wait", "type": "delay", "seconds": DAY},
            {"id": "tips", "type": "message", "channel": "content_card", "card": {"title": "Tips", "description": "d"}},
        ],
    }
    return {**canvas, **over}


def ce(sdk: Sdk, name: str, **props: Any) -> dict[str, Any]:
    return sdk.event("ce", {"n": name, "p": props})


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def scoped(emu: Emulator) -> tuple[str, Sdk]:
    scope = emu.create_scope("canvas")
    return scope, Sdk(emu, emu.create_app(scope)["api_key"])


def _triggers(sdk: Sdk) -> dict[str, dict[str, Any]]:
    rw = {"triggers": True, "user_id": sdk.user, "config": {"config_time": 0}}
    return {t["id"]: t for t in sdk.post("data/", respond_with=rw, events=[sdk.event("ss")])["triggers"]}


# -- definitions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["steps"][2].update(next="x"), r"canvases\[0\]\.steps\[2\]\.next: no step 'x'"),
        (lambda c: c["steps"][0].update(channel="push"), r"canvases\[0\]\.steps\[0\]: a push step needs `push`"),
        (
            lambda c: c["steps"][0].update(channel="push", message=None, push={"android_push": {"alert": "a"}}),
            r"canvases\[0\]\.steps\[0\]\.push\.android_push: android_push needs `alert` and `title`",
        ),
        (
            lambda c: c["steps"][1].update(seconds=-1),
            r"canvases\[0\]\.steps\[1\]\.seconds: Input should be greater than or equal to 0",
        ),
        (
            lambda c: c["steps"][0].update(card={"title": "t"}),
            r"canvases\[0\]\.steps\[0\]: an in_app_message step needs `message`",
        ),
        (lambda c: c["steps"][1].update(id="hello"), r"canvases\[0\]\.steps\[1\]\.id: step id 'hello' is used twice"),
        (lambda c: c["entry"].pop("event"), r"canvases\[0\]\.entry: a custom_event entry needs `event`"),
        (lambda c: c["steps"][0]["message"].update(colour="red"), r"canvases\[0\]\.steps\[0\]\.message\.colour: Extra inputs"),
        (
            lambda c: c["steps"].insert(
                0, {"id": "s", "type": "split", "paths": [{"percent": 70, "next": "hello"}, {"percent": 40, "next": "tips"}]}
            ),
            r"canvases\[0\]\.steps\[0\]\.paths: the percentages add up to 110",
        ),
    ],
)
def test_a_wrong_canvas_names_the_field(change, message):
    canvas = json.loads(json.dumps(onboarding()))
    change(canvas)
    with pytest.raises(DefinitionError, match=message):
        parse_canvas(canvas, "canvases[0]")


def test_nothing_of_a_bad_batch_is_stored_and_unknown_segments_are_named(emu, scoped):
    scope, _ = scoped
    with pytest.raises(DefinitionError, match=r"canvases\[1\]\.steps\[0\]\.paths\[0\]\.segment: no segment 'vips'"):
        emu.messaging.seed(
            scope,
            canvases=[
                onboarding(),
                {
                    "id": "b",
                    "entry": {"type": "custom_event", "event": "e"},
                    "steps": [
                        {"id": "s", "type": "split", "paths": [{"segment": "vips", "next": "x"}]},
                        {"id": "x", "type": "exit"},
                    ],
                },
            ],
        )
    assert emu.messaging.describe(scope)["canvases"] == []


# -- walking -----------------------------------------------------------------------------------------


def test_event_entry_iam_then_delay_then_card(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(scope, canvases=[onboarding()])
    sdk.login("ada")
    sdk.send(ce(sdk, "signed_up", plan="free"))  # the property filter does not hold: no entry
    assert "onb.hello" not in _triggers(sdk)
    sdk.send(ce(sdk, "signed_up", plan="pro"))

    trig = _triggers(sdk)["onb.hello"]
    assert trig["trigger_condition"] == [{"type": "open", "data": None}]
    assert trig["data"]["trigger_id"] == trigger_id("onb.hello") and trig["data"]["header"] == "Hello"
    assert sdk.cards()["cards"] == []  # the card step is a day away

    other = Sdk(emu, sdk.api_key, "dev-2")
    other.login("bob")
    assert "onb.hello" not in _triggers(other)  # reached by ada only

    emu.messaging.advance(scope, DAY - 60)
    assert sdk.cards()["cards"] == []
    emu.messaging.advance(scope, 120)
    cards = sdk.cards()["cards"]
    assert [c["id"] for c in cards] == ["onb.tips"] and cards[0]["tt"] == "Tips"
    assert other.cards()["cards"] == []

    progress = emu.messaging.canvas_progress(scope, "onb")["users"]
    ada = progress["user:ada"]
    assert ada["status"] == "exited" and ada["path"] == ["entry", "hello", "wait", "tips", "exit"]
    entered = ada["history"][0]["at"]
    # the card step is reached when the delay ends, not when somebody looked
    assert ada["history"][3]["at"] == pytest.approx(entered + DAY)
    assert set(progress) == {"user:ada"}


def test_progress_is_on_the_profile_and_moves_on_when_read(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(scope, canvases=[onboarding()])
    sdk.login("ada", ce(sdk, "signed_up", plan="pro"))
    view = emu.profiles(scope=scope, external_id="ada")[0]
    assert view["canvases"]["onb"]["step"] == "wait"
    emu.messaging.advance(scope, DAY)
    view = emu.profiles(scope=scope, external_id="ada")[0]  # no SDK request in between
    assert view["canvases"]["onb"]["status"] == "exited"
    assert view["canvases"]["onb"]["sent"].keys() == {"onb.hello", "onb.tips"}


def test_no_re_entry_unless_asked(emu, scoped):
    scope, sdk = scoped
    short = onboarding(steps=[{"id": "bye", "type": "exit"}])
    again = onboarding(id="again", re_entry=True, steps=[{"id": "bye", "type": "exit"}])
    emu.messaging.seed(scope, canvases=[short, again])
    sdk.login("ada", ce(sdk, "signed_up", plan="pro"))
    sdk.send(ce(sdk, "signed_up", plan="pro"))
    progress = emu.profiles(scope=scope, external_id="ada")[0]["canvases"]
    assert progress["onb"]["path"] == ["entry", "bye"]
    assert len(progress["again"]["history"]) == 2 and progress["again"]["entered_at"] > progress["onb"]["entered_at"] - 1


def test_split_by_segment_and_deterministic_percentage(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[{"id": "pros", "filters": [{"type": "attribute", "name": "plan", "value": "pro"}]}],
        canvases=[
            {
                "id": "split",
                "entry": {"type": "custom_event", "event": "go"},
                "steps": [
                    {
                        "id": "who",
                        "type": "split",
                        "paths": [
                            {"name": "pros", "segment": "pros", "next": "pro_card"},
                            {"name": "half", "percent": 50, "next": "half_card"},
                            {"name": "rest", "next": "bye"},
                        ],
                    },
                    {"id": "pro_card", "type": "message", "channel": "content_card", "card": {"title": "Pro"}, "next": "bye"},
                    {"id": "half_card", "type": "message", "channel": "content_card", "card": {"title": "Half"}, "next": "bye"},
                    {"id": "bye", "type": "exit"},
                ],
            }
        ],
    )
    users = [f"u{i}" for i in range(40)]
    for i, user in enumerate(users):
        s = Sdk(emu, sdk.api_key, f"dev-{i}")
        plan = "pro" if i < 5 else "free"
        s.login(user, ce(s, "go"), attributes=[{"user_id": user, "custom": {"plan": plan}}])
    progress = emu.messaging.canvas_progress(scope, "split")["users"]
    paths = {u: progress[f"user:{u}"]["history"][1]["path"] for u in users}
    assert all(paths[u] == "pros" for u in users[:5])
    for u in users[5:]:
        assert paths[u] == ("half" if bucket("split", f"user:{u}") < 50 else "rest")
    assert 5 < sum(p == "half" for p in paths.values()) < 30  # a hash, not everyone on one path
    assert bucket("split", "user:u7") == bucket("split", "user:u7")


def test_segment_entry_on_the_users_own_request(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(
        scope,
        segments=[{"id": "pros", "filters": [{"type": "attribute", "name": "plan", "value": "pro"}]}],
        canvases=[
            {
                "id": "seg",
                "entry": {"type": "segment", "segment": "pros"},
                "steps": [{"id": "card", "type": "message", "channel": "content_card", "card": {"title": "For pros"}}],
            }
        ],
    )
    sdk.login("ada", attributes=[{"user_id": "ada", "custom": {"plan": "free"}}])
    assert sdk.cards()["cards"] == []
    sdk.post("data/", attributes=[{"user_id": "ada", "custom": {"plan": "pro"}}])
    assert [c["id"] for c in sdk.cards()["cards"]] == ["seg.card"]
    assert emu.messaging.canvas_progress(scope, "seg")["users"]["user:ada"]["history"][0]["segment"] == "pros"


def test_step_engagement_is_attributed_per_canvas_and_step(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(scope, canvases=[onboarding()])
    sdk.login("ada", ce(sdk, "signed_up", plan="pro"))
    tid = trigger_id("onb.hello")
    sdk.send(sdk.event("si", {"trigger_ids": [tid]}), sdk.event("sc", {"trigger_ids": [tid]}))
    emu.messaging.advance(scope, DAY)
    sdk.cards()
    sdk.send(sdk.event("cci", {"ids": ["onb.tips"]}), sdk.event("ccd", {"ids": ["onb.tips"]}))
    m = emu.messaging.metrics(scope, "onb")
    assert m["totals"] == {"si": 1, "sc": 1, "cci": 1, "ccd": 1}
    assert m["steps"]["hello"]["totals"] == {"si": 1, "sc": 1} and m["steps"]["tips"]["uniques"] == {"cci": 1, "ccd": 1}
    assert emu.messaging.metrics(scope)["unattributed"] == {}
    assert sdk.cards(last_full_sync_at=1)["cards"] == [{"id": "onb.tips", "r": True}]  # dismissed: gone


def test_a_push_step_is_sent_to_the_users_tokens_and_its_opens_count_for_the_step(emu, scoped):
    scope, sdk = scoped
    push_step = {
        "id": "nudge",
        "type": "message",
        "channel": "push",
        "push": {"web_push": {"title": "Come back", "alert": "Tips"}},
    }
    emu.messaging.seed(scope, canvases=[onboarding(steps=[{"id": "wait", "type": "delay", "seconds": 3600}, push_step])])
    sdk.login("ada", attributes=[{"user_id": "ada", "push_token": "https://push.example.test/sub/1"}])
    sdk.send(ce(sdk, "signed_up", plan="pro"))
    assert emu.push.outbox(scope, sdk.device_id) == []  # an hour away
    emu.messaging.advance(scope, 3600)
    progress = emu.profiles(scope=scope, external_id="ada")[0]["canvases"]["onb"]  # a read moves ada on: the push goes
    assert progress["push"]["onb.nudge"]["deliveries"] == 1 and progress["status"] == "exited"
    [delivery] = emu.push.outbox(scope, sdk.device_id)
    assert delivery.campaign_id == "onb.nudge" and delivery.external_id == "ada"
    emu.messaging.canvas_progress(scope, "onb")
    assert len(emu.push.outbox(scope, sdk.device_id)) == 1  # sent once, however often it is read
    sdk.send(sdk.event("pc", {"cid": "onb.nudge"}))
    metrics = emu.messaging.metrics(scope)
    assert metrics["canvases"]["onb"]["steps"]["nudge"]["totals"] == {"pc": 1}
    # the step's push is also the push campaign `onb.nudge` (braze.push.wait_opens): its opens count there too
    assert emu.messaging.metrics(scope, "onb.nudge")["totals"] == {"pc": 1}
    assert metrics["campaigns"]["onb.nudge"]["sent"] == 1 and metrics["campaigns"]["onb.nudge"]["uniques"] == {"pc": 1}


def test_a_push_step_for_an_anonymous_user_is_skipped(emu, scoped):
    scope, sdk = scoped
    push_step = {"id": "nudge", "type": "message", "channel": "push", "push": {"web_push": {"alert": "Hi"}}}
    emu.messaging.seed(scope, canvases=[onboarding(steps=[push_step])])
    sdk.send(ce(sdk, "signed_up", plan="pro"))
    run = emu.messaging.canvas_progress(scope, "onb")["users"]["device:dev-1"]
    assert run["push"]["onb.nudge"] == {"deliveries": 0, "skipped": ["anonymous user: push needs an external id"]}


# -- Content Cards rate limit --------------------------------------------------------------------------


def test_card_rate_limit_off_by_default_then_a_token_bucket_per_device(emu, scoped):
    scope, sdk = scoped
    emu.messaging.seed(scope, campaigns=[{"kind": "content_card", "id": "c", "card": {"title": "t"}}])
    assert all("cards" in sdk.cards() for _ in range(8))
    emu.messaging.set_card_rate_limit(scope, True)  # documented: 5 per device, +1 per 180 s
    answers = [sdk.cards() for _ in range(6)]
    assert all("cards" in a for a in answers[:5]) and answers[5] == {}
    other_device = Sdk(emu, sdk.api_key, "dev-2")
    assert "cards" in other_device.cards()  # another device has its own bucket
    sdk.user = "someone-else"
    assert sdk.cards() == {}  # shared across users of one device
    emu.messaging.advance(scope, 179)
    assert sdk.cards() == {}
    emu.messaging.advance(scope, 2)
    assert "cards" in sdk.cards() and sdk.cards() == {}
    assert emu.messaging.describe(scope)["content_card_syncs_rate_limited"] == 4


def test_card_rate_limit_from_the_settings():
    emu = Emulator(EmulatorSettings(content_cards_rate_limit=True, content_cards_rate_limit_capacity=2))
    scope = emu.create_scope("rl")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    assert ["cards" in sdk.cards() for _ in range(3)] == [True, True, False]
    emu.messaging.set_card_rate_limit(scope, False)
    assert "cards" in sdk.cards()


# -- abort_message -----------------------------------------------------------------------------------------


def _run(text: str, connected: dict, **standard: object) -> str | None:
    return render(text, template_data({"attributes": standard}, {}, connected))


def test_liquid_blocks_and_abort():
    connected = {"items": [1, 2], "city": "Paris"}
    assert _run("{% if connected.items.size < 5 %}few{% else %}many{% endif %}", connected) == "few"
    assert _run("{% if connected.city == 'Rome' %}R{% elsif connected.city %}{{x}}{% endif %}", connected) == ""
    assert _run("{% if ${first_name} == blank %}blank{% elsif ${first_name} == nil %}nil{% endif %}!", connected) == "nil!"
    assert _run("{% if ${first_name} == blank %}anon{% endif %}!", connected, first_name=" ") == "anon!"
    with pytest.raises(Aborted) as err:
        _run("a{% if connected.items.size < 5 %}{% abort_message('Not enough items') %}{% endif %}", connected)
    assert err.value.reason == "Not enough items"
    with pytest.raises(Aborted) as err:
        _run("{% abort_message() %}", connected)
    assert err.value.reason is None
    assert _run("{% if connected.city == 'Rome' %}{% abort_message('no') %}{% endif %}ok", connected) == "ok"


def test_liquid_and_or_evaluate_right_to_left_and_quotes_are_operands():
    connected = {"a": False, "b": True, "c": True, "name": "black or white"}
    # Liquid has no and/or precedence: `a and b or c` is `a and (b or c)`, false here
    assert _run("{% if connected.a and connected.b or connected.c %}yes{% else %}no{% endif %}", connected) == "no"
    assert _run("{% if connected.c or connected.a and connected.b %}yes{% else %}no{% endif %}", connected) == "yes"
    assert _run("{% if connected.name == 'black or white' %}yes{% else %}no{% endif %}", connected) == "yes"
    assert _run('{% if connected.name contains " or " and connected.b %}yes{% endif %}', connected) == "yes"


def test_a_stray_block_tag_is_an_error_naming_its_position():
    with pytest.raises(TemplateError, match="line 1, column 7: unexpected tag 'endif'"):
        _run("Hi {% endif %}there", {})


def test_aborted_template_answers_an_error_and_is_logged(emu, scoped):
    scope, sdk = scoped
    message = {
        "type": "MODAL",
        "message": "{% if custom_attribute.${plan} != 'pro' %}{% abort_message(\"not a pro\") %}{% endif %}Hi pro",
    }
    emu.messaging.seed(
        scope,
        campaigns=[
            {
                "kind": "in_app",
                "id": "t",
                "templated": True,
                "trigger": {"type": "custom_event", "event": "e"},
                "message": message,
            }
        ],
    )
    sdk.login("ada", attributes=[{"user_id": "ada", "custom": {"plan": "free"}}])
    template = {"trigger_id": trigger_id("t"), "trigger_event_type": "custom_event"}
    assert sdk.post("template/", respond_with={"user_id": "ada"}, template=template) == {"error": "message aborted"}
    sdk.post("data/", attributes=[{"user_id": "ada", "custom": {"plan": "pro"}}])
    out = sdk.post("template/", respond_with={"user_id": "ada"}, template=template)
    assert out["templated_message"]["data"]["message"] == "Hi pro"
    log = emu.messaging.describe(scope)["templates"]
    assert [(e["aborted"], e.get("abort_reason")) for e in log] == [(True, "not a pro"), (False, None)]


# -- over HTTP, with the helpers -------------------------------------------------------------------------


def _post_data(braze, body: dict) -> dict:
    body = {"api_key": braze.api_key, "time": int(time.time()), "sdk_version": "6.13.0", **body}
    headers = {"content-type": "application/json", "x-braze-api-key": braze.api_key}
    r = httpx.post(f"{braze.emulator_url}/api/v3/data/", content=json.dumps(body), trust_env=False, headers=headers)
    assert r.status_code == 200
    return r.json()


def test_canvas_over_the_control_api_and_helpers(braze, tmp_path):
    m = braze.messaging
    user, device = braze.uid("ada"), braze.new_device_id()
    url = f"{braze.emulator_url}/_emulator/scopes/{braze.scope}"
    bad = onboarding()
    bad["steps"][2]["next"] = "nowhere"
    r = httpx.post(f"{url}/messaging", json={"canvases": [bad]}, trust_env=False)
    assert r.status_code == 400 and "canvases[0].steps[2].next: no step 'nowhere'" in r.json()["message"]
    with pytest.raises(DefinitionError, match=r"canvases\[0\]\.steps\[0\]\.push: unsupported message type\(s\) \['sms'\]"):
        m.canvas(
            "p",
            entry={"type": "custom_event", "event": "e"},
            steps=[{"id": "s", "type": "message", "channel": "push", "push": {"sms": {}}}],
        )
    file = tmp_path / "canvas.yaml"
    file.write_text(json.dumps({"canvases": [onboarding()]}))  # JSON is YAML
    assert m.seed_file(file)["canvases"] == ["onb"]

    ev = {"name": "ce", "time": time.time(), "data": {"n": "signed_up", "p": {"plan": "pro"}}, "user_id": user}
    _post_data(braze, {"device_id": device, "events": [ev]})
    braze.expect.profile(user).has(canvases={"onb": {"step": "wait", "status": "active"}}).within(2)
    assert m.canvas_progress("onb", user)["path"] == ["entry", "hello", "wait"]
    assert m.advance(DAY) == DAY
    braze.expect.profile(user).has(canvases={"onb": {"status": "exited"}}).within(2)
    assert httpx.get(f"{url}/clock", trust_env=False).json()["clock_offset"] == DAY
    assert httpx.post(f"{url}/clock", json={"advance": -1}, trust_env=False).status_code == 400
    assert httpx.get(f"{url}/canvases/nope/progress", trust_env=False).status_code == 404
    r = httpx.put(f"{url}/messaging/options", json={"content_cards_rate_limit": {"capacity": 0}}, trust_env=False)
    assert r.status_code == 400 and "content_cards_rate_limit.capacity" in r.json()["message"]
    empty = httpx.put(f"{url}/messaging/options", json={}, trust_env=False)  # a mistake, not a silent reset
    assert empty.status_code == 400 and "give `content_cards_rate_limit`" in empty.json()["message"]
    assert m.card_rate_limit({"capacity": 3, "refill_seconds": 10}) == {"capacity": 3, "refill_seconds": 10.0}
    m.remove("onb")
    assert m.seeded()["canvases"] == []
