"""`expect.rest(path, body=, status=, answer=)`: a backend's REST calls waited on from the journal they share with the
SDK's traffic; lists in bodies match element by element; failures show the nearest calls' differences; SDK
expectations never count REST calls."""

from __future__ import annotations

import threading

import httpx
import pytest
from braze_harness.expect import ExpectationFailed


@pytest.fixture
def post(server, lab):
    key = lab.rest_key()

    def call(path: str, body: dict) -> httpx.Response:
        return httpx.post(server.url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)

    return call


def test_waits_for_the_call_and_matches_body_status_and_answer(lab, post):
    timer = threading.Timer(0.3, post, ("/users/track", {"attributes": [{"external_id": "ada", "tier": "vip", "n": 1}]}))
    timer.start()
    [call] = lab.expect.rest("/users/track", body={"attributes": [{"external_id": "ada", "tier": "vip"}]}).within(5)
    timer.join()
    assert call.status == 201 and call.answer["attributes_processed"] == 1
    lab.expect.rest("/users/track", status=201, answer={"message": "success"}).exactly(1).within(1)
    lab.expect.rest("/users/track", status=429).never(within=0.2)
    lab.expect.event("ce").never(within=0.1)  # a REST call is no SDK event


def test_a_miss_names_the_nearest_calls_differences(lab, post):
    post("/users/track", {"attributes": [{"external_id": "bo", "tier": "gold"}]})
    with pytest.raises(ExpectationFailed) as failed:
        lab.expect.rest("/users/track", body={"attributes": [{"external_id": "bo", "tier": "vip"}]}).within(0.3)
    text = str(failed.value)
    assert "REST call to /users/track" in text and "body.attributes[0].tier: 'gold' != 'vip'" in text


def test_a_refused_call_is_there_too(lab, post):
    post("/users/export/ids", {"external_ids": ["x"] * 51})
    [call] = lab.expect.rest("/users/export/ids", status=400).within(2)
    assert call.answer["message"]
    with pytest.raises(ExpectationFailed, match="1 matching call"):
        lab.expect.rest("/users/export/ids").never(within=0.2)


def test_at_most_waits_the_whole_window_as_event_expectations_do(lab, post):
    timer = threading.Timer(0.3, post, ("/users/track", {"attributes": [{"external_id": "cy"}]}))
    timer.start()
    with pytest.raises(ExpectationFailed, match="1 matching call"):
        lab.expect.rest("/users/track").at_most(0).within(1)  # a call arriving late in the window still counts
    timer.join()
    assert len(lab.expect.rest("/users/track").at_most(1).within(0.2)) == 1
