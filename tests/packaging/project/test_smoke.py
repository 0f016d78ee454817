"""A first test of a project that installed the wheel: README's example against the bundled demo web app."""


def test_song_played_lands_on_the_profile(braze, braze_app):
    user = braze.uid("ada")  # unique per test: parallel runs never collide
    braze_app.launch()  # the demo web app with the real @braze/web-sdk
    braze_app.login(user)  # changeUser
    braze_app.log_event("song_played", {"genre": "jazz"})
    braze_app.flush()  # requestImmediateDataFlush: no 10 s wait

    braze.expect.custom_event("song_played", props={"genre": "jazz"}, user=user).within(5)
    braze.expect.profile(user).has(sessions=2, custom_events={"song_played": 1}).within(5)
