"""Messaging over the control API (`/_emulator/scopes/{scope}/messaging`, `/metrics`, `/segments/{id}/members`)
and the `braze.messaging` helpers: validation names the field, nothing is half-stored, scopes stay apart."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from braze_harness.emulator.messaging import DefinitionError


def _post_data(braze, body: dict) -> dict:
    body = {"api_key": braze.api_key, "time": int(time.time()), "sdk_version": "6.13.0", **body}
    r = httpx.post(
        f"{braze.emulator_url}/api/v3/data/",
        content=json.dumps(body),
        trust_env=False,
        headers={"content-type": "application/json", "x-braze-api-key": braze.api_key},
    )
    assert r.status_code == 200
    return r.json()


def test_json_seed_validation_names_the_field(braze):
    url = f"{braze.emulator_url}/_emulator/scopes/{braze.scope}/messaging"
    bad = {
        "campaigns": [
            {
                "kind": "in_app",
                "id": "x",
                "trigger": {"type": "open"},
                "message": {"type": "MODAL", "message": "m", "colour": "red"},
            }
        ]
    }
    r = httpx.post(url, json=bad, trust_env=False)
    assert r.status_code == 400
    assert "campaigns[0].in_app.message.colour: Extra inputs are not permitted" in r.json()["message"]
    r = httpx.post(url, json={"campaigns": [{"kind": "carrier_pigeon", "id": "x"}]}, trust_env=False)
    assert r.status_code == 400 and "campaigns[0]" in r.json()["message"] and "kind" in r.json()["message"]
    r = httpx.post(url, json={"campaign": []}, trust_env=False)
    assert r.status_code == 400
    r = httpx.post(url, content=b"{nope", trust_env=False)
    assert r.status_code == 400 and "not JSON" in r.json()["message"]
    assert httpx.get(url, trust_env=False).json()["campaigns"] == []


def test_helpers_validate_locally_before_sending(braze):
    with pytest.raises(DefinitionError, match=r"campaigns\[0\]\.content_card\.card\.pinned"):
        braze.messaging.content_card("c", card={"title": "t", "pinned": "very"})
    with pytest.raises(DefinitionError, match=r"segments\[0\]\.filters\.0"):
        braze.messaging.segment("s", {"type": "attribute"})


def test_seed_serve_and_metrics_over_http(braze):
    m = braze.messaging
    user = braze.uid("ada")
    device = braze.new_device_id()
    m.segment("named", {"type": "external_id", "op": "in", "value": [user]})
    m.in_app("hello", segment="named", trigger="open", message={"type": "SLIDEUP", "message": "hi"})
    m.feature_flag("ff", segment="named", properties={"n": 1})
    seeded = m.seeded()
    assert [c["id"] for c in seeded["campaigns"]] == ["hello", "ff"]
    assert seeded["campaigns"][0]["trigger_id"] == m.trigger_id("hello")

    rw = {"triggers": True, "user_id": user, "config": {"config_time": 0}}
    ss = {"name": "ss", "time": time.time(), "data": {}, "session_id": "s1", "user_id": user}
    answer = _post_data(braze, {"device_id": device, "user_id": user, "respond_with": rw, "events": [ss]})
    assert [t["id"] for t in answer["triggers"]] == ["hello"]
    assert m.members("named") == [user]

    si = {"name": "si", "time": time.time(), "data": {"trigger_ids": [m.trigger_id("hello")]}, "user_id": user}
    _post_data(braze, {"device_id": device, "user_id": user, "events": [si, si]})
    got = m.wait_metrics("hello", totals={"si": 2}, uniques={"si": 1}, within=2)
    assert got["by_user"] == {f"user:{user}": {"si": 2}}
    assert m.metrics()["campaigns"]["ff"]["totals"] == {}

    m.remove("hello")
    assert [c["id"] for c in m.seeded()["campaigns"]] == ["ff"]
    r = httpx.get(f"{braze.emulator_url}/_emulator/scopes/{braze.scope}/metrics", params={"campaign": "hello"}, trust_env=False)
    assert r.status_code == 404


def test_campaigns_of_another_scope_are_not_served(braze, braze_client):
    from braze_harness.plugin.handle import BrazeHandle

    other = BrazeHandle(braze_client, name="other")
    try:
        other.messaging.in_app("theirs", trigger="open", message={"type": "MODAL", "message": "not for you"})
        rw = {"triggers": True, "config": {"config_time": 0}}
        answer = _post_data(braze, {"device_id": braze.new_device_id(), "respond_with": rw})
        assert answer["triggers"] == []
    finally:
        other.close()


def test_timed_out_metric_waits_fail_with_the_expect_diagnosis(braze):
    from braze_harness.expect import ExpectationFailed

    m = braze.messaging
    user = braze.uid("ada")
    m.in_app("hello", trigger="open", message={"type": "SLIDEUP", "message": "hi"})
    si = {"name": "si", "time": time.time(), "data": {"trigger_ids": [m.trigger_id("hello")]}, "user_id": user}
    _post_data(braze, {"device_id": braze.new_device_id(), "user_id": user, "events": [si]})
    assert braze.expect.metrics("hello").totals(si=1).uniques(si=1).within(2)["by_user"] == {f"user:{user}": {"si": 1}}

    with pytest.raises(ExpectationFailed) as failed:
        m.wait_metrics("hello", totals={"sc": 1}, within=0.3)
    text = str(failed.value)
    assert text.startswith("Expected within 0.3 s: campaign 'hello' metrics with totals sc=1.")
    assert f"scope {braze.scope!r} saw 1 request(s), 1 event(s), 0 bad" in text
    assert "Last seen:\n  totals.sc: 0 != 1" in text and "Recent traffic (1 of 1):" in text and "si " in text

    with pytest.raises(ExpectationFailed, match=r"totals\.si is 1, over 0"):
        m.wait_metrics("hello", totals={"si": 0}, within=5)

    with pytest.raises(ExpectationFailed) as failed:
        m.wait_rate_limited(1, within=0.2)
    text = str(failed.value)
    assert "Expected within 0.2 s: at least 1 Content Cards sync(s) refused by the rate limit." in text
    assert "Last seen:\n  0 refused" in text and "Recent traffic" in text
