"""`POST /_emulator/apps/{api_key}/users/import` over real HTTP: the CSV lands on the profiles the SDKs write,
streamed in pieces, with Braze's identity rules and a report naming every failed row (docs/csv-import.md)."""

from __future__ import annotations

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator import csv_import
from braze_harness.errors import HarnessError


@pytest.fixture
def client(server):
    with_client = EmulatorClient(server.url)
    yield with_client
    with_client.close()


def test_attributes_land_on_the_profile_an_sdk_user_already_has(client, lab):
    phone = lab.device("android")
    phone.open_session()
    phone.change_user("ada")  # sent at once: the profile exists before the import
    csv = (
        "external_id,first_name,email,lifetime_value,vip,code,signed_up,subscription_state\n"
        'ada,Ada,ada@example.com,19.99,true,"007",2024-01-02T03:04:05Z,subscribed\n'
        "bob,Bob,,3,false,,,\n"
        "cy,Cy,,1,2\n"  # malformed: skipped, its neighbours import
    )
    chunks = [csv.encode()[i : i + 10] for i in range(0, len(csv), 10)]  # streamed in small pieces
    report = client.import_users(lab.api_key("android"), iter(chunks))
    assert (report["rows"], report["imported"], report["skipped"], report["issues_total"]) == (3, 2, 1, 1)
    assert report["issues"] == [
        {"row": 4, "severity": "error", "column": None, "message": "malformed row: 5 cells where the header has 8"}
    ]
    assert report["not_applied_columns"] == ["subscription_state"]
    [ada] = lab.profiles(external_id="ada")
    assert [d["device_id"] for d in ada["devices"]] == [phone.device_id]  # the SDK user's own profile
    assert ada["attributes"]["first_name"] == "Ada" and ada["attributes"]["email"] == "ada@example.com"
    assert ada["attributes"]["custom"] == {
        "lifetime_value": 19.99,
        "vip": True,
        "code": "007",
        "signed_up": "2024-01-02T03:04:05Z",
    }
    [bob] = lab.profiles(external_id="bob")
    assert bob["attributes"]["custom"] == {"lifetime_value": 3, "vip": False}  # blank cells overwrite nothing


def test_blank_cells_keep_what_the_profile_has(client, lab):
    key = lab.api_key("web")
    client.import_users(key, "external_id,first_name,tier\nkim,Kim,gold\n")
    client.import_users(key, "external_id,first_name,tier\nkim,,silver\n")
    [kim] = lab.profiles(external_id="kim")
    assert kim["attributes"]["first_name"] == "Kim" and kim["attributes"]["custom"] == {"tier": "silver"}


def test_update_existing_only_reports_the_users_it_did_not_find(client, lab):
    key = lab.api_key("web")
    client.import_users(key, "external_id,tier\nold,gold\n")
    report = client.import_users(key, "external_id,tier\nold,platinum\nnew,gold\n", update_existing_only=True)
    assert (report["imported"], report["skipped"]) == (1, 1)
    assert report["issues"][0]["message"] == "no user with external_id 'new' (update existing only)"
    assert (
        lab.profiles(external_id="new") == [] and lab.profiles(external_id="old")[0]["attributes"]["custom"]["tier"] == "platinum"
    )


def test_aliases_create_alias_only_users_but_never_touch_an_identified_one(client, lab):
    key = lab.api_key("web")
    report = client.import_users(key, "user_alias_name,user_alias_label,tier\nlead-1,crm,gold\n")
    assert report["imported"] == 1
    [lead] = [p for p in lab.profiles() if p["aliases"] == [{"alias_name": "lead-1", "alias_label": "crm"}]]
    assert lead["external_id"] is None and lead["attributes"]["custom"] == {"tier": "gold"}
    client.rest(
        "/users/identify",
        {"aliases_to_identify": [{"external_id": "lea", "user_alias": {"alias_name": "lead-1", "alias_label": "crm"}}]},
        lab.rest_key(),
    )
    again = client.import_users(key, "user_alias_name,user_alias_label,tier\nlead-1,crm,silver\n")
    assert again["skipped"] == 1 and "belongs to a user with external_id 'lea'" in again["issues"][0]["message"]


def test_events_with_their_properties(client, lab):
    key = lab.api_key("web")
    csv = (
        "external_id,name,time,trip.properties.city,trip.properties.nights\n"
        "zoe,trip,2024-06-10T12:00:00Z,Oslo,3\n"
        'zoe,trip,2024-06-11T12:00:00Z,Rome,"2"\n'
    )
    report = client.import_users(key, csv, kind="events")
    assert (report["imported"], report["skipped"], report["duplicates"]) == (2, 0, 0)
    [zoe] = lab.profiles(external_id="zoe")
    assert zoe["custom_events"] == {"trip": 2}
    assert [e["properties"] for e in zoe["custom_event_log"]] == [{"city": "Oslo", "nights": 3}, {"city": "Rome", "nights": "2"}]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "the file is empty"),
        (b"first_name\nAda\n", 400, "no identifier column"),
        (b"external_id,name\n\xff\xfe\n", 400, "not UTF-8 (byte 17)"),
    ],
)
def test_a_file_that_cannot_be_imported_is_one_line(server, lab, body, status, message):
    answer = httpx.post(f"{server.url}/_emulator/apps/{lab.api_key('web')}/users/import", content=body, timeout=10)
    assert answer.status_code == status and message in answer.json()["message"]


def test_an_unknown_app_and_a_file_over_the_limit(server, lab, client, monkeypatch):
    with pytest.raises(HarnessError, match="no app with api key 'nope'"):
        client.import_users("nope", "external_id\nx\n")
    monkeypatch.setitem(csv_import.MAX_BYTES, "attributes", 64)
    answer = httpx.post(
        f"{server.url}/_emulator/apps/{lab.api_key('web')}/users/import", content=b"external_id\n" + b"u\n" * 100, timeout=10
    )
    assert answer.status_code == 413 and "over 0 MB" in answer.json()["message"]
