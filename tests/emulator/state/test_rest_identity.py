"""The REST user-identity endpoints over real HTTP, on the profiles the SDKs write (docs/server-behaviour.md,
rest-user-identity): identify, alias new/update, merge, external id rename/remove, delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture
def rest(server, lab):
    key = lab.api_key("android")  # the app the devices use; REST calls name the workspace's REST key
    rest_key = lab.rest_key()

    def call(path: str, body: Any, *, status: int | None = None) -> dict[str, Any]:
        answer = httpx.post(server.url + path, json=body, headers={"Authorization": f"Bearer {rest_key}"}, timeout=10)
        if status is not None:
            assert answer.status_code == status, answer.text
        return answer.json()

    call.key = key  # type: ignore[attr-defined]
    return call


def _export(rest, **selector: Any) -> list[dict[str, Any]]:
    return rest("/users/export/ids", selector, status=200)["users"]


def _alias(name: str, label: str = "crm") -> dict[str, str]:
    return {"alias_name": name, "alias_label": label}


def _clean(server) -> None:
    assert server.emulator.state.index_errors() == []


def test_alias_only_user_identified_takes_the_external_id(server, rest, lab):
    assert rest("/users/alias/new", {"user_aliases": [_alias("lead-1")]}, status=201) == {
        "aliases_processed": 1,
        "message": "success",
    }
    body = {"events": [{"user_alias": _alias("lead-1"), "name": "visited_pricing", "time": "2026-11-01T00:00:00Z"}]}
    assert rest("/users/track", body, status=201)["events_processed"] == 1
    [lead] = _export(rest, user_aliases=[_alias("lead-1")])
    assert "external_id" not in lead

    answer = rest(
        "/users/identify", {"aliases_to_identify": [{"external_id": "ada", "user_alias": _alias("lead-1")}]}, status=201
    )
    assert answer == {"aliases_processed": 1, "message": "success"}
    [user] = _export(rest, external_ids=["ada"])
    assert user["braze_id"] == lead["braze_id"] and user["user_aliases"] == [_alias("lead-1")]
    assert [e["name"] for e in user["custom_events"]] == ["visited_pricing"]
    _clean(server)


def test_identify_into_a_known_user_merges_and_deletes_the_alias_profile(server, rest, lab):
    phone = lab.device("android", api_key=rest.key)
    phone.open_session()
    phone.change_user("grace")
    phone.set_attribute("first_name", "Grace")
    phone.log_custom_event("app_event")
    phone.request_immediate_data_flush()
    rest("/users/alias/new", {"user_aliases": [_alias("lead-2")]}, status=201)
    track = {
        "attributes": [{"user_alias": _alias("lead-2"), "first_name": "Lead", "source": "ads"}],
        "events": [{"user_alias": _alias("lead-2"), "name": "lead_event", "time": "2026-11-01T00:00:00Z"}],
    }
    rest("/users/track", track, status=201)
    [lead] = _export(rest, user_aliases=[_alias("lead-2")])

    rest("/users/identify", {"aliases_to_identify": [{"external_id": "grace", "user_alias": _alias("lead-2")}]}, status=201)
    [profile] = lab.profiles(external_id="grace")
    assert profile["custom_events"] == {"app_event": 1, "lead_event": 1}
    assert profile["attributes"]["first_name"] == "Grace" and profile["attributes"]["custom"] == {"source": "ads"}  # known wins
    assert profile["aliases"] == [_alias("lead-2")] and lead["braze_id"] in profile["merged_from"]
    assert _export(rest, braze_id=lead["braze_id"]) == []  # the alias-only profile is gone
    _clean(server)


def test_identify_is_not_combined_when_the_known_user_has_that_label(server, rest, lab):
    rest("/users/alias/new", {"user_aliases": [{"external_id": None, **_alias("x1")}]}, status=201)
    rest("/users/track", {"attributes": [{"external_id": "hal", "plan": "pro"}]}, status=201)
    rest("/users/alias/new", {"user_aliases": [{"external_id": "hal", **_alias("x2")}]}, status=201)
    answer = rest("/users/identify", {"aliases_to_identify": [{"external_id": "hal", "user_alias": _alias("x1")}]}, status=201)
    assert answer["aliases_processed"] == 0 and "not combined" in answer["errors"][0]["type"]
    assert len(_export(rest, user_aliases=[_alias("x1")])) == 1 and len(_export(rest, external_ids=["hal"])) == 1


def test_sdk_anonymous_user_identified_by_the_backend_keeps_its_profile_on_change_user(server, rest, lab):
    phone = lab.device("android", api_key=rest.key)
    phone.open_session()
    phone.add_alias("anon-7", "crm")  # the app gives its anonymous user an alias (the SDK's addAlias)
    phone.log_custom_event("before_login")
    phone.request_immediate_data_flush()
    [anonymous] = lab.profiles(device_id=phone.device_id)
    assert anonymous["external_id"] is None

    rest("/users/identify", {"aliases_to_identify": [{"external_id": "ivy", "user_alias": _alias("anon-7")}]}, status=201)
    phone.change_user("ivy")
    phone.log_custom_event("after_login")
    phone.request_immediate_data_flush()
    [profile] = lab.profiles(device_id=phone.device_id)
    assert profile["braze_id"] == anonymous["braze_id"] and profile["external_id"] == "ivy"
    assert profile["custom_events"] == {"before_login": 1, "after_login": 1}
    assert len(lab.profiles()) == 1
    _clean(server)


def test_identify_by_email_with_prioritization(server, rest, lab):
    rest("/users/track", {"attributes": [{"email": "jo@example.com", "plan": "trial"}]}, status=201)
    body = {"emails_to_identify": [{"external_id": "jo", "email": "jo@example.com", "prioritization": ["unidentified"]}]}
    assert rest("/users/identify", body, status=201) == {"aliases_processed": 1, "message": "success"}
    [user] = _export(rest, external_ids=["jo"])
    assert user["email"] == "jo@example.com" and user["custom_attributes"] == {"plan": "trial"}
    # two unidentified profiles with one email: the emulator keeps no update times, so it refuses rather than guesses
    rest("/users/track", {"attributes": [{"email": "two@example.com", "p": "a"}]})
    phone = lab.device("android", api_key=rest.key)  # an anonymous app user with the same email
    phone.open_session()
    phone.set_attribute("email", "two@example.com")
    phone.request_immediate_data_flush()
    assert len([p for p in lab.profiles() if p["attributes"].get("email") == "two@example.com"]) == 2
    body = {
        "emails_to_identify": [{"external_id": "two", "email": "two@example.com", "prioritization": ["most_recently_updated"]}]
    }
    answer = rest("/users/identify", body, status=201)
    assert answer["aliases_processed"] == 0 and "keeps no update times" in answer["errors"][0]["type"]


def test_alias_new_on_a_known_user_an_unknown_one_and_an_existing_pair(server, rest, lab):
    rest("/users/track", {"attributes": [{"external_id": "kim", "x": 1}]})
    body = {
        "user_aliases": [
            {"external_id": "kim", **_alias("k-1")},
            {"external_id": "nobody", **_alias("n-1")},
            _alias("k-1"),  # the pair exists: success, nothing added (as Braze documents)
        ]
    }
    answer = rest("/users/alias/new", body, status=201)
    assert answer["aliases_processed"] == 2
    assert answer["errors"] == [
        {"type": "no profile with external_id 'nobody': the alias is not added", "input_array": "user_aliases", "index": 1}
    ]
    [kim] = _export(rest, external_ids=["kim"])
    assert kim["user_aliases"] == [_alias("k-1")]
    assert _export(rest, user_aliases=[_alias("n-1")]) == []
    _clean(server)


def test_alias_parts_are_at_most_236_bytes(server, rest, lab):
    long_name = "é" * 119  # 238 bytes in UTF-8
    answer = rest("/users/alias/new", {"user_aliases": [_alias(long_name), _alias("é" * 118)]}, status=201)
    assert answer["aliases_processed"] == 1 and answer["errors"][0]["type"] == "alias_name is 238 bytes, over 236"
    update = {"alias_updates": [{"alias_label": "crm", "old_alias_name": "é" * 118, "new_alias_name": long_name}]}
    assert rest("/users/alias/update", update, status=201)["aliases_processed"] == 0


def test_alias_update_renames_the_alias(server, rest, lab):
    rest("/users/alias/new", {"user_aliases": [_alias("old-name"), _alias("taken")]})
    body = {
        "alias_updates": [
            {"alias_label": "crm", "old_alias_name": "old-name", "new_alias_name": "new-name"},
            {"alias_label": "crm", "old_alias_name": "missing", "new_alias_name": "x"},
            {"alias_label": "crm", "old_alias_name": "new-name", "new_alias_name": "taken"},
        ]
    }
    answer = rest("/users/alias/update", body, status=201)
    assert answer["aliases_processed"] == 1 and [e["index"] for e in answer["errors"]] == [1, 2]
    assert _export(rest, user_aliases=[_alias("old-name")]) == []
    [user] = _export(rest, user_aliases=[_alias("new-name")])
    assert user["user_aliases"] == [_alias("new-name")]
    _clean(server)


def test_merge_keeps_the_target_values_and_both_users_activity(server, rest, lab):
    old_phone, new_phone = lab.device("android", api_key=rest.key), lab.device("android", api_key=rest.key)
    for phone, user, event in ((old_phone, "old-lu", "old_event"), (new_phone, "lu", "new_event")):
        phone.open_session()
        phone.change_user(user)
        phone.log_custom_event(event)
        phone.log_custom_event("shared")
        phone.request_immediate_data_flush()
    rest(
        "/users/track",
        {
            "attributes": [
                {"external_id": "old-lu", "first_name": "Old", "country": "FR", "tier": "gold", "plan": "basic"},
                {"external_id": "lu", "first_name": "Lu", "plan": "pro"},
            ],
            "purchases": [
                {"external_id": "old-lu", "product_id": "sku", "currency": "USD", "price": 5, "time": "2026-11-01T00:00:00Z"}
            ],
        },
    )
    [source] = lab.profiles(external_id="old-lu")
    sessions = source["sessions"]["count"] + lab.profiles(external_id="lu")[0]["sessions"]["count"]
    body = {"merge_updates": [{"identifier_to_merge": {"external_id": "old-lu"}, "identifier_to_keep": {"external_id": "lu"}}]}
    assert rest("/users/merge", body, status=202) == {"message": "success"}

    [kept] = lab.profiles(external_id="lu")
    assert kept["attributes"]["first_name"] == "Lu" and kept["attributes"]["country"] == "FR"  # filled only where missing
    assert kept["attributes"]["custom"] == {"plan": "pro", "tier": "gold"}
    assert kept["custom_events"] == {"old_event": 1, "new_event": 1, "shared": 2} and kept["purchases"] == {"sku": 1}
    assert kept["revenue"] == 5.0 and kept["sessions"]["count"] == sessions  # the sum of both
    assert {d["device_id"] for d in kept["devices"]} == {old_phone.device_id, new_phone.device_id}
    assert {e["name"] for e in kept["custom_event_log"]} == {"old_event", "new_event", "shared"}
    assert source["braze_id"] in kept["merged_from"] and lab.profiles(external_id="old-lu") == []
    assert rest("/users/export/ids", {"external_ids": ["old-lu"]})["invalid_user_ids"] == ["old-lu"]
    # the merged external id is gone with its profile: an app still logged in as it makes a new profile
    old_phone.log_custom_event("later")
    old_phone.request_immediate_data_flush()
    [fresh] = lab.profiles(external_id="old-lu")
    assert fresh["custom_events"] == {"later": 1} and "later" not in lab.profiles(external_id="lu")[0]["custom_events"]
    _clean(server)


def test_merge_by_alias_and_unknown_users_are_named(server, rest, lab):
    rest("/users/alias/new", {"user_aliases": [_alias("m-1"), _alias("m-2")]})
    body = {
        "merge_updates": [
            {"identifier_to_merge": {"user_alias": _alias("m-1")}, "identifier_to_keep": {"user_alias": _alias("m-2")}},
            {"identifier_to_merge": {"external_id": "ghost"}, "identifier_to_keep": {"user_alias": _alias("m-2")}},
            {"identifier_to_merge": {"phone": "+15555550100"}, "identifier_to_keep": {"user_alias": _alias("m-2")}},
        ]
    }
    answer = rest("/users/merge", body, status=202)
    assert [(e["index"], e["type"]) for e in answer["errors"]] == [
        (1, "no profile with external_id 'ghost'"),
        (2, "phone as identifier is not supported by this emulator"),
    ]
    [kept] = _export(rest, user_aliases=[_alias("m-2")])
    assert kept["user_aliases"] == [_alias("m-2")]  # one name per label: the kept profile's alias stays
    assert _export(rest, user_aliases=[_alias("m-1")]) == []
    _clean(server)


def test_rename_deprecates_the_old_id_and_remove_forgets_it(server, rest, lab):
    phone = lab.device("android", api_key=rest.key)
    phone.open_session()
    phone.change_user("legacy-1")
    phone.log_custom_event("app_event")
    phone.request_immediate_data_flush()
    rest("/users/track", {"attributes": [{"external_id": "other", "x": 1}]})
    body = {
        "external_id_renames": [
            {"current_external_id": "legacy-1", "new_external_id": "v2-1"},
            {"current_external_id": "nobody", "new_external_id": "v2-2"},
            {"current_external_id": "other", "new_external_id": "other"},
            {"current_external_id": "other", "new_external_id": "v2-1"},
        ]
    }
    answer = rest("/users/external_ids/rename", body, status=201)
    assert answer["message"] == "success" and answer["external_ids"] == ["legacy-1"]
    assert [index for index, _ in answer["rename_errors"]] == [1, 2, 3]
    [by_new] = _export(rest, external_ids=["v2-1"])
    [by_old] = _export(rest, external_ids=["legacy-1"])  # deprecated: still finds the profile
    assert by_new["braze_id"] == by_old["braze_id"] and by_old["external_id"] == "v2-1"
    # a legacy app still logging in with the old id lands on the same profile
    legacy = lab.device("android", api_key=rest.key)
    legacy.open_session()
    legacy.change_user("legacy-1")
    legacy.log_custom_event("legacy_event")
    legacy.request_immediate_data_flush()
    assert lab.profiles(external_id="v2-1")[0]["custom_events"] == {"app_event": 1, "legacy_event": 1}
    again = rest(
        "/users/external_ids/rename", {"external_id_renames": [{"current_external_id": "legacy-1", "new_external_id": "v3"}]}
    )
    assert "deprecated" in again["rename_errors"][0][1]

    removed = rest("/users/external_ids/remove", {"external_ids": ["legacy-1", "v2-1", "never"]}, status=201)
    assert removed["removed_ids"] == ["legacy-1"] and [i for i, _ in removed["removal_errors"]] == [1, 2]
    assert "primary" in removed["removal_errors"][0][1]
    assert rest("/users/export/ids", {"external_ids": ["legacy-1"]})["invalid_user_ids"] == ["legacy-1"]
    assert len(_export(rest, external_ids=["v2-1"])) == 1
    _clean(server)


def test_delete_removes_profiles_and_their_devices_start_over(server, rest, lab):
    phone = lab.device("android", api_key=rest.key)
    phone.open_session()
    phone.change_user("del-1")
    phone.log_custom_event("e")
    phone.request_immediate_data_flush()
    rest("/users/alias/new", {"user_aliases": [_alias("del-a")]})
    [aliased] = _export(rest, user_aliases=[_alias("del-a")])
    assert rest("/users/delete", {"external_ids": ["del-1", "nobody"]}, status=201) == {"deleted": 1, "message": "success"}
    assert rest("/users/delete", {"braze_ids": [aliased["braze_id"]]}, status=201)["deleted"] == 1
    assert rest("/users/export/ids", {"external_ids": ["del-1"]}) == {
        "users": [],
        "invalid_user_ids": ["del-1"],
        "message": "success",
    }
    assert _export(rest, device_id=phone.device_id) == [] and _export(rest, user_aliases=[_alias("del-a")]) == []
    _clean(server)
    phone.log_custom_event("after_delete")  # the app is still logged in as del-1: its next data makes a new profile
    phone.request_immediate_data_flush()
    [fresh] = lab.profiles(external_id="del-1")
    assert fresh["custom_events"] == {"after_delete": 1}
    _clean(server)


def test_delete_by_user_alias(server, rest, lab):
    rest("/users/alias/new", {"user_aliases": [_alias("gone")]})
    assert rest("/users/delete", {"user_aliases": [_alias("gone")]}, status=201)["deleted"] == 1
    assert _export(rest, user_aliases=[_alias("gone")]) == []


@pytest.mark.parametrize(
    ("path", "body", "message", "detail"),
    [
        ("/users/identify", {}, "Bad Request", "aliases_to_identify must be a non-empty array"),
        ("/users/identify", {"aliases_to_identify": [{}] * 51}, "Max Input Length Exceeded", "more than 50"),
        ("/users/identify", {"phone_numbers_to_identify": [{}]}, "Bad Request", "phone_numbers_to_identify is not supported"),
        ("/users/alias/new", {"user_aliases": [_alias("a")] * 51}, "Max Input Length Exceeded", "user_aliases: more than 50"),
        ("/users/alias/new", {"aliases": []}, "Bad Request", "unknown field(s) ['aliases']"),
        ("/users/alias/update", {"alias_updates": []}, "Bad Request", "alias_updates must be a non-empty array"),
        ("/users/merge", {"merge_updates": {}}, "'merge_updates' must be an array of objects", "merge_updates"),
        ("/users/merge", {"merge_updates": [{}] * 51}, "a single request may not contain more than 50 merge updates", ""),
        (
            "/users/merge",
            {"merge_updates": [{"identifier_to_merge": {"external_id": "a"}}]},
            "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'",
            "merge_updates[0]",
        ),
        (
            "/users/merge",
            {"merge_updates": [{"identifier_to_merge": {"external_id": 1}, "identifier_to_keep": {"external_id": "b"}}]},
            "identifiers must be objects with an 'external_id' property that is a string",
            "merge_updates[0].identifier_to_merge",
        ),
        ("/users/external_ids/rename", {"external_id_renames": []}, "Bad Request", "external_id_renames must be a non-empty"),
        ("/users/external_ids/rename", {"external_id_renames": [{}] * 51}, "Max Input Length Exceeded", "more than 50"),
        ("/users/external_ids/remove", {"external_ids": ["x"] * 51}, "Max Input Length Exceeded", "external_ids: more than 50"),
        ("/users/delete", {"external_ids": ["a"], "braze_ids": ["b"]}, "Bad Request", "exactly one of"),
        ("/users/delete", {"external_ids": ["a"] * 51}, "Max Input Length Exceeded", "external_ids: more than 50"),
        ("/users/delete", {"phone_numbers": ["+1"]}, "Bad Request", "phone_numbers is not supported"),
    ],
)
def test_fatal_mistakes_are_400_with_braze_messages(rest, path, body, message, detail):
    answer = rest(path, body, status=400)
    assert answer["message"].startswith(message) and detail in answer["errors"][0]


def test_calls_are_journaled_as_rest_in_the_keys_scope(server, rest, lab):
    rest("/users/alias/new", {"user_aliases": [_alias("j")]}, status=201)
    [entry] = [e for e in lab.entries() if e.exchange.url.endswith("/users/alias/new")]
    assert entry.endpoint == "rest" and entry.exchange.status == 201 and entry.exchange.response["aliases_processed"] == 1
