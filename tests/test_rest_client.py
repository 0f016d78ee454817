"""The typed REST client against the emulator over HTTP: typed answers and rate limits, Braze's refusals raised with
status/message/errors, 429 retried after the window (Braze's advice), the same calls a backend makes."""

from __future__ import annotations

import time

import pytest
from braze_harness import BrazeApiError, BrazeRestClient, Recipient
from braze_harness.client import EmulatorClient


@pytest.fixture
def control(server):
    client = EmulatorClient(server.url)
    yield client
    client.close()


@pytest.fixture
def rest(server, lab):
    with BrazeRestClient(server.url, lab.rest_key()) as client:
        yield client


def test_users_and_a_triggered_campaign(rest, lab, control):
    tracked = rest.users_track(attributes=[{"external_id": "ada", "first_name": "Ada"}], bulk=True)
    assert tracked.message == "success" and tracked.attributes_processed == 1 and tracked.errors == []
    assert tracked.rate_limit is not None and tracked.rate_limit.remaining < tracked.rate_limit.limit
    [user] = rest.users_export_ids(external_ids=["ada"]).users
    assert user["first_name"] == "Ada"
    control.seed_messaging(
        lab.scope, campaigns=[{"kind": "api_triggered", "id": "hi", "card": {"title": "Hi {{${first_name}}}"}}]
    )
    sent = rest.campaigns_trigger_send("hi", recipients=[Recipient("ada", trigger_properties={"x": 1})], send_id="s-1")
    assert sent.dispatch_id and sent.send_id == "s-1"
    assert control.push_dispatch(lab.scope, sent.dispatch_id)["cards"][0]["card"]["tt"] == "Hi Ada"
    made = rest.content_blocks_create("footer", "Bye")
    assert made.liquid_tag == "{{content_blocks.${footer}}}"
    assert rest.content_blocks_info(made.content_block_id).raw["content"] == "Bye"


def test_a_refusal_raises_brazes_message(rest, server, lab):
    with pytest.raises(BrazeApiError) as refused:
        rest.campaigns_trigger_send("nope", broadcast=True)
    assert (refused.value.status, refused.value.message) == (400, "Invalid Campaign ID")
    assert "campaign_id" in refused.value.errors[0]
    with BrazeRestClient(server.url, lab.api_key("web")) as wrong, pytest.raises(BrazeApiError, match="401 Unauthorized"):
        wrong.users_track(attributes=[{"external_id": "x"}])


def test_429_is_retried_after_the_window(rest, server, lab, control):
    control.set_rest_rate_limits(lab.scope, limits={"users/track": (1, 1)})
    rest.users_track(attributes=[{"external_id": "r1"}])
    with pytest.raises(BrazeApiError) as limited:
        rest.users_track(attributes=[{"external_id": "r2"}])
    assert limited.value.status == 429 and limited.value.rate_limit.remaining == 0
    with BrazeRestClient(server.url, lab.rest_key(), retries=2, max_wait_s=2) as patient:
        started = time.monotonic()
        assert patient.users_track(attributes=[{"external_id": "r3"}]).message == "success"
        assert time.monotonic() - started < 3
