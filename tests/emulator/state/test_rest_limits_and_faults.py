"""REST rate limits as Braze documents them (per workspace and group of endpoints; `X-RateLimit-*` on every answer;
429 over the limit) and REST faults through the same fault table as the SDK's (docs/rest-api.md)."""

from __future__ import annotations

import time

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.errors import HarnessError


@pytest.fixture
def client(server):
    c = EmulatorClient(server.url)
    yield c
    c.close()


def _track(server, key: str, external_id: str = "r1") -> httpx.Response:
    body = {"attributes": [{"external_id": external_id, "tier": "gold"}]}
    return httpx.post(server.url + "/users/track", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_every_answer_carries_brazes_default_limit(server, lab):
    key = lab.rest_key()
    first, second = _track(server, key), _track(server, key)
    assert first.headers["x-ratelimit-limit"] == "3000"  # /users/track: 3,000 requests per 3 seconds
    assert (first.headers["x-ratelimit-remaining"], second.headers["x-ratelimit-remaining"]) == ("2999", "2998")
    assert time.time() <= int(first.headers["x-ratelimit-reset"]) <= time.time() + 4
    export = httpx.post(server.url + "/users/export/ids", json={"external_ids": ["r1"]},
                        headers={"Authorization": f"Bearer {key}"}, timeout=10)  # fmt: skip
    assert export.headers["x-ratelimit-limit"] == "250"  # its own group, its own window


def test_a_lowered_limit_answers_429_and_nothing_is_applied(server, lab, client):
    key = lab.rest_key()
    effective = client.set_rest_rate_limits(lab.scope, limits={"users/track": (2, 60)})
    assert effective["limits"]["users/track"] == {"limit": 2, "window_s": 60}
    assert [_track(server, key, f"u{i}").status_code for i in range(3)] == [201, 201, 429]
    refused = _track(server, key, "u9")
    assert refused.status_code == 429 and refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["message"] == "Rate Limited"
    assert "rate limit of 2 requests per 60 s for users/track" in refused.json()["errors"][0]
    assert lab.profiles(external_id="u9") == [] and len(lab.profiles(external_id="u1")) == 1
    refusals = [e for e in lab.entries() if e.exchange.status == 429]
    assert len(refusals) == 2 and all(any(p.where == "rate_limit" for p in e.problems) for e in refusals)
    client.set_rest_rate_limits(lab.scope, enabled=False)
    allowed = _track(server, key, "u9")
    assert allowed.status_code == 201 and "x-ratelimit-limit" not in allowed.headers


def test_an_unknown_group_is_named(client, lab):
    with pytest.raises(HarnessError, match="unknown group 'users/trak'"):
        client.set_rest_rate_limits(lab.scope, limits={"users/trak": (1, 1)})


def test_rest_faults_come_from_the_scopes_fault_table(server, lab, client):
    key = lab.rest_key()
    client.add_fault(lab.scope, endpoint="users/track", status=503, times=1)
    client.add_fault(lab.scope, endpoint="any", status=500)  # "any" is the SDK's endpoints: REST is not hit
    faulted, passed = _track(server, key, "f1"), _track(server, key, "f1")
    assert (faulted.status_code, passed.status_code) == (503, 201)
    assert faulted.headers["x-ratelimit-limit"] == "3000"  # a faulted call still counts against the limit
    client.clear_faults(lab.scope)
    client.add_fault(lab.scope, endpoint="rest", status=429, retry_after=7, times=1)
    limited = _track(server, key, "f2")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7" and lab.profiles(external_id="f2") == []
    with pytest.raises(HarnessError, match="auth_error is the SDK's answer"):
        client.add_fault(lab.scope, endpoint="rest", kind="auth_error")
