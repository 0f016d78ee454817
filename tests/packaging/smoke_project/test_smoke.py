"""A first test of a project that installed the wheel: README's example against the bundled demo web app."""


def test_song_played_lands_on_the_profile(braze, braze_app):
    user = braze.uid("ada")  # unique per test: parallel runs never collide
    braze_app.launch()  # the demo web app with the real @braze/web-sdk
    braze_app.login(user)  # changeUser
    braze_app.log_event("song_played", {"genre": "jazz"})
    braze_app.flush()  # requestImmediateDataFlush: no 10 s wait

    braze.expect.custom_event("song_played", props={"genre": "jazz"}, user=user).within(5)
    braze.expect.profile(user).has(sessions=2, custom_events={"song_played": 1}).within(5)


def test_web_push_token_through_the_service_worker(braze, braze_app):
    """@braze/service-worker comes from `braze-harness setup` (the harness home), not from a checkout."""
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.login(user)
    braze_app.enable_push()  # registers the service worker, subscribes, sends the endpoint as the push token
    braze.push.expect_token(user, device_id=braze_app.device_id).within(5)
    braze.push.expect_subscription(user, "opted_in").within(5)
