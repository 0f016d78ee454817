"""REST API keys with Braze's permission names: the key names its workspace, a call the key has no permission for is
403 Access Denied, an app's SDK api key is refused with 401 as Braze refuses it (docs/rest-api.md, keys)."""

from __future__ import annotations

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.errors import HarnessError


@pytest.fixture
def client(server):
    c = EmulatorClient(server.url)
    yield c
    c.close()


def _post(server, path: str, key: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_a_key_acts_only_within_its_permissions(server, lab, client):
    track_only = client.create_rest_key(lab.scope, permissions=["users.track"])
    assert _post(server, "/users/track", track_only, {"attributes": [{"external_id": "k1", "vip": True}]}).status_code == 201
    denied = _post(server, "/users/export/ids", track_only, {"external_ids": ["k1"]})
    assert denied.status_code == 403 and denied.json()["message"] == "Access Denied"
    assert "lacks the permission users.export.ids" in denied.json()["errors"][0]
    [entry] = [e for e in lab.entries() if e.exchange.status == 403]  # journaled in the key's scope
    assert entry.exchange.url.endswith("/users/export/ids")
    reader = client.create_rest_key(lab.scope, permissions=["users.export.ids"])
    [user] = _post(server, "/users/export/ids", reader, {"external_ids": ["k1"]}).json()["users"]
    assert user["custom_attributes"] == {"vip": True}


def test_an_sdk_api_key_is_not_a_rest_key(server, lab):
    app_key = lab.api_key("web")
    refused = _post(server, "/users/track", app_key, {"attributes": [{"external_id": "k2"}]})
    assert refused.status_code == 401 and refused.json()["message"] == "Unauthorized"
    assert "is an app's SDK api key, not a REST API key" in refused.json()["errors"][0]
    assert lab.profiles(external_id="k2") == []
    assert any(e.exchange.status == 401 for e in lab.entries())  # the test sees its mistake in its own journal
    unknown = _post(server, "/users/track", "rest-nope", {"attributes": []})
    assert unknown.status_code == 401 and unknown.json()["errors"] == ["unknown REST API key"]


def test_a_key_writes_its_own_workspace_only(server, lab, client):
    other = client.create_rest_key(lab.scope, workspace="staging")
    _post(server, "/users/track", other, {"attributes": [{"external_id": "k3", "env": "staging"}]})
    mine = client.create_rest_key(lab.scope)
    assert _post(server, "/users/export/ids", mine, {"external_ids": ["k3"]}).json()["users"] == []
    assert _post(server, "/users/export/ids", other, {"external_ids": ["k3"]}).json()["users"][0]["external_id"] == "k3"


def test_unknown_permissions_are_named_and_keys_go_with_their_scope(server, lab, client):
    with pytest.raises(HarnessError, match=r"permissions: unknown 'users\.tracks'"):
        client.create_rest_key(lab.scope, permissions=["users.tracks"])
    scope = client.create_scope("short-lived")
    key = client.create_rest_key(scope)
    assert _post(server, "/users/track", key, {"attributes": []}).status_code == 201
    client.drop_scope(scope)
    assert _post(server, "/users/track", key, {"attributes": []}).status_code == 401


def test_a_braze_rest_path_the_emulator_does_not_emulate_is_named_not_taken_for_sdk_traffic(server, lab, client):
    key = client.create_rest_key(lab.scope)
    answer = httpx.get(server.url + "/sends/data_series?campaign_id=c", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 501 and answer.json()["message"] == "Not Implemented"
    assert "/sends/data_series is a Braze REST endpoint this emulator does not emulate" in answer.json()["errors"][0]
    assert httpx.post(server.url + "/api/v3/nope", json={}, timeout=10).status_code != 501  # SDK paths stay SDK paths
