"""Identity: anonymous profiles, anonymous → known, known → other known, same-id no-op, two devices."""


def test_anonymous_profile_is_created(braze, braze_app):
    braze_app.launch()
    braze_app.log_event("browsed_anonymously")
    braze_app.flush()

    braze.expect.custom_event("browsed_anonymously", user=None).within()
    profile = (
        braze.expect.profile(device_id=braze_app.device_id)
        .has(external_id=None, custom_events={"browsed_anonymously": 1})
        .within()
    )
    assert profile["braze_id"]


def test_anonymous_to_known_keeps_the_anonymous_data(braze, braze_app):
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.set_custom_attribute("favourite_colour", "green")
    braze_app.log_event("viewed_pricing")
    braze_app.flush()
    anonymous = braze.expect.profile(device_id=braze_app.device_id).has(custom_events={"viewed_pricing": 1}).within()

    braze_app.login(user)
    braze_app.log_event("signed_in")
    braze_app.flush()

    braze.expect.session_start(user=user).within()
    known = (
        braze.expect.profile(user)
        .count(1)
        .has(
            braze_id=anonymous["braze_id"],  # the anonymous profile became the known one
            custom={"favourite_colour": "green"},
            custom_events={"viewed_pricing": 1, "signed_in": 1},
            sessions=2,
        )
        .within()
    )
    assert [p["braze_id"] for p in braze.profiles(device_id=braze_app.device_id)] == [known["braze_id"]]


def test_switching_between_known_users_moves_nothing(braze, braze_app):
    alice, bob = braze.uid("alice"), braze.uid("bob")
    braze_app.launch()
    braze_app.login(alice)
    braze_app.set_profile(first_name="Alice")
    braze_app.log_event("alice_only")
    braze_app.flush()
    braze.expect.profile(alice).has(first_name="Alice", custom_events={"alice_only": 1}).within()

    braze_app.login(bob)
    braze_app.log_event("bob_only")
    braze_app.flush()

    braze.expect.session_end(user=alice).within()
    braze.expect.session_start(user=bob).within()
    braze.expect.profile(bob).has(custom_events={"bob_only": 1}, first_name=lambda v: v != "Alice").within()
    braze.expect.profile(alice).has(custom_events=lambda events: events == {"alice_only": 1}).within()


def test_change_user_to_the_same_id_is_a_no_op(braze, braze_app):
    user = braze.uid("same")
    braze_app.launch()
    braze_app.login(user)
    braze_app.flush()
    braze.expect.session_start(user=user).within()
    mark = braze.expect.mark()

    braze_app.login(user)
    braze_app.flush()

    braze.expect.event().after(mark).never(within=1.0)
    # the anonymous session at launch and the one login started: the repeated login added none
    braze.expect.profile(user).has(sessions=2).within()


def test_two_devices_identifying_as_one_user_end_in_one_profile(braze, braze_app_factory):
    user = braze.uid("two-devices")
    laptop, phone = braze_app_factory(), braze_app_factory()
    for app, event in ((laptop, "from_laptop"), (phone, "from_phone")):
        app.launch()
        app.log_event(event)
        app.flush()
        braze.expect.custom_event(event, user=None, device=app.device_id).within()
        app.login(user)
        app.flush()
        braze.expect.session_start(user=user, device=app.device_id).within()

    profile = braze.expect.profile(user).count(1).has(devices=2, custom_events={"from_laptop": 1, "from_phone": 1}).within()
    assert {d["device_id"] for d in profile["devices"]} == {laptop.device_id, phone.device_id}
