"""A backend writes to Braze through the REST API while the app's SDK writes through its own endpoints: both land
on one profile, and REST-written attributes decide segment membership for what the app is shown."""

import pytest
from braze_harness import BrazeApiError
from braze_harness.screens import MessagingScreen, OnScreen


def test_backend_attribute_puts_the_user_in_the_segment_the_app_is_shown(braze, braze_app):
    member, other = braze.uid("gold"), braze.uid("plain")
    answer = braze.rest("/users/track", {"attributes": [{"external_id": member, "tier": "gold", "first_name": "Ada"}]})
    assert answer == {"message": "success", "attributes_processed": 1}
    braze.messaging.segment("gold", {"type": "attribute", "name": "tier", "value": "gold"})
    braze.messaging.in_app("gold_offer", segment="gold", trigger="open", message={"type": "MODAL", "message": "Gold offer"})

    braze_app.launch()
    braze_app.login(other)  # changeUser starts a session: the SDK asks for triggers for `other`
    braze.expect.session_start(user=other).within()
    braze_app.login(member)
    braze.expect.session_start(user=member).within()
    screen = getattr(braze_app, "screen", None)
    if isinstance(screen, MessagingScreen):
        OnScreen(braze.expect, screen).iam_shown("gold_offer")
    braze.messaging.wait_metrics("gold_offer", uniques={"si": 1})
    assert list(braze.messaging.metrics("gold_offer")["by_user"]) == [f"user:{member}"]


def test_app_events_and_backend_data_meet_on_one_profile_and_export(braze, braze_app):
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.login(user)
    braze_app.log_event("song_played", {"genre": "jazz"})
    braze_app.flush()
    braze.expect.profile(user).has(custom_events={"song_played": 1}).within()

    braze.rest(
        "/users/track",
        {
            "attributes": [{"external_id": user, "plan": "pro", "visits": {"inc": 3}}],
            "purchases": [
                {"external_id": user, "product_id": "sub", "currency": "USD", "price": 4.5, "time": "2026-11-01T00:00:00Z"}
            ],
        },
    )
    braze.expect.profile(user).has(custom={"plan": "pro", "visits": 3}, purchases={"sub": 1}).within()
    [exported] = braze.rest("/users/export/ids", {"external_ids": [user]})["users"]
    assert [e["name"] for e in exported["custom_events"]] == ["song_played"] and exported["purchases"][0]["name"] == "sub"
    assert braze_app.device_id in [d["device_id"] for d in exported["devices"]]


def test_backend_merges_two_app_users_and_the_kept_profile_shows_both_users_events(braze, braze_app):
    guest, member = braze.uid("guest"), braze.uid("member")
    braze_app.launch()
    braze_app.login(guest)
    braze_app.log_event("browsed_pricing", {"plan": "pro"})
    braze_app.flush()
    braze.expect.profile(guest).has(custom_events={"browsed_pricing": 1}).within()
    braze_app.login(member)
    braze_app.log_event("subscribed")
    braze_app.flush()
    braze.expect.profile(member).has(custom_events={"subscribed": 1}).within()
    braze.rest("/users/track", {"attributes": [{"external_id": guest, "referrer": "ads", "plan": "free"}]})
    braze.rest("/users/track", {"attributes": [{"external_id": member, "plan": "pro"}]})

    merge = {"identifier_to_merge": {"external_id": guest}, "identifier_to_keep": {"external_id": member}}
    assert braze.rest("/users/merge", {"merge_updates": [merge]}) == {"message": "success"}
    # both users' events on the kept profile; its own values win, what it lacked is filled in
    kept = braze.expect.profile(member).has(custom_events={"browsed_pricing": 1, "subscribed": 1}).within()
    assert kept["attributes"]["custom"] == {"plan": "pro", "referrer": "ads"}
    assert braze.profiles(external_id=guest) == []
    exported = braze.rest("/users/export/ids", {"external_ids": [member, guest]})
    assert exported["invalid_user_ids"] == [guest] and len(exported["users"]) == 1
    assert {e["name"] for e in exported["users"][0]["custom_events"]} == {"browsed_pricing", "subscribed"}

    braze_app.log_event("renewed")  # the app, still logged in as the kept user, goes on writing to it
    braze_app.flush()
    braze.expect.profile(member).has(custom_events={"browsed_pricing": 1, "subscribed": 1, "renewed": 1}).within()
    assert [d["device_id"] for d in exported["users"][0]["devices"]] == [braze_app.device_id]


def test_backend_triggers_a_campaign_personalised_by_trigger_properties_and_the_app_shows_its_card(braze, braze_app):
    user = braze.uid("vip")
    m = braze.messaging
    m.api_triggered(
        "vip_welcome", card={"title": "Welcome, {{${first_name}}}", "description": "{{api_trigger_properties.${perk}}}"}
    )
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()  # the user exists: send_to_existing_only holds

    # the backend upgrades the user (attributes first) and triggers the campaign with its properties
    body = {
        "campaign_id": "vip_welcome",
        "trigger_properties": {"perk": "free shipping"},
        "recipients": [{"external_user_id": user, "attributes": {"first_name": "Ada", "tier": "vip"}}],
    }
    sent = braze.rest("/campaigns/trigger/send", body)
    braze.expect.rest("/campaigns/trigger/send", body={"campaign_id": "vip_welcome"}, status=201).exactly(1).within()
    dispatch = braze.client.push_dispatch(braze.scope, sent["dispatch_id"])
    [placed] = dispatch["cards"]
    assert (placed["card"]["tt"], placed["card"]["ds"]) == ("Welcome, Ada", "free shipping")

    braze_app.show_content_cards()
    braze_app.refresh_content_cards()
    OnScreen(braze.expect, braze_app.screen).cards_shown([placed["id"]])  # and its impression (cci) is logged
    braze.messaging.wait_metrics("vip_welcome", uniques={"cci": 1})
    braze.expect.profile(user).has(custom={"tier": "vip"}).within()


def test_migrated_push_token_and_purchase_history_reach_the_user_the_app_logs_in_as(braze, braze_app):
    user = braze.uid("legacy")
    android_app = braze.client.create_app(braze.scope, platform="android")["api_key"]  # the backend's mobile app
    history = {
        "attributes": [
            {"external_id": user, "push_token_import": True,
             "push_tokens": [{"app_id": android_app, "token": f"fcm-{user}", "device_id": f"old-phone-{user}"}]},
        ],
        "purchases": [{"external_id": user, "product_id": "annual", "currency": "USD", "price": 49.0,
                       "time": "2025-03-01T12:00:00Z"}],
    }  # fmt: skip
    assert "errors" not in braze.rest("/users/track", history)

    braze_app.launch()
    braze_app.login(user)  # the app's own SDK writes to the same profile
    braze_app.log_event("opened_after_migration")
    braze_app.flush()
    braze.expect.profile(user).has(purchases={"annual": 1}, custom_events={"opened_after_migration": 1}).within()

    sent = braze.rest(
        "/messages/send", {"external_user_ids": [user], "messages": {"android_push": {"title": "Hi", "alert": "Back"}}}
    )
    tokens = [d["token"] for d in braze.client.push_dispatch(braze.scope, sent["dispatch_id"])["deliveries"]]
    assert tokens == [f"fcm-{user}"]  # the imported token (a web app has none; a virtual phone's own is another app's)


def test_a_backend_key_without_users_track_is_refused_and_writes_nothing(braze, braze_app):
    user = braze.uid("guarded")
    reader = braze.rest_client(braze.rest_key(permissions=["users.export.ids"]))
    with pytest.raises(BrazeApiError) as refused:
        reader.users_track(attributes=[{"external_id": user, "tier": "vip"}])
    assert (refused.value.status, refused.value.message) == (403, "Access Denied")
    assert "users.track" in refused.value.errors[0]
    braze_app.launch()
    braze_app.login(user)
    braze.expect.session_start(user=user).within()
    [exported] = reader.users_export_ids(external_ids=[user]).users
    assert "tier" not in exported.get("custom_attributes", {})  # the refused write left the profile alone
    braze.expect.rest("/users/track", status=403).exactly(1).within()


def test_ten_thousand_users_imported_from_csv_are_queryable_through_export(braze):
    rest = braze.rest_client()  # the backend's key first: what cannot be made (a fleet's) stops the test before the import
    prefix = braze.uid("csv")
    rows = "".join(f"{prefix}-{i},Ada{i},{i % 7}\n" for i in range(10_000))
    report = braze.client.import_users(braze.api_key, "external_id,first_name,visits\n" + rows)
    assert (report["rows"], report["imported"], report["skipped"]) == (10_000, 10_000, 0)
    for i in (0, 4_999, 9_999):
        [user] = rest.users_export_ids(external_ids=[f"{prefix}-{i}"]).users
        assert (user["first_name"], user["custom_attributes"]["visits"]) == (f"Ada{i}", i % 7)
    assert len(rest.users_export_ids(external_ids=[f"{prefix}-{i}" for i in range(50)]).users) == 50
