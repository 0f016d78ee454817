"""Custom events and purchases: on the wire with their properties, and counted on the profile."""


def test_custom_events_with_properties(braze, braze_app):
    user = braze.uid("listener")
    braze_app.launch()
    braze_app.login(user)
    props = {"song": "So What", "rating": 4.5, "plays": 3, "favourite": True, "album": {"name": "Kind of Blue"}}

    braze_app.log_event("song_played", props)
    braze_app.log_event("song_played", {"song": "Blue in Green"})
    braze_app.log_event("playlist_created")
    braze_app.flush()

    braze.expect.custom_event("song_played", props=props, user=user).within()
    braze.expect.custom_event("song_played", user=user).exactly(2).within(settle=0.5)
    braze.expect.profile(user).has(custom_events={"song_played": 2, "playlist_created": 1}).within()


def test_purchases(braze, braze_app):
    user = braze.uid("buyer")
    braze_app.launch()
    braze_app.login(user)

    braze_app.purchase("sku-42", 9.99, "EUR", 2, {"colour": "blue"})
    braze_app.purchase("sku-7", 0.5)
    braze_app.flush()

    braze.expect.purchase("sku-42", price=9.99, currency="EUR", quantity=2, props={"colour": "blue"}, user=user).within()
    braze.expect.purchase("sku-7", currency="USD", quantity=1).within()
    # quantity N counts as N purchases (docs/server-behaviour.md, purchases)
    braze.expect.profile(user).has(purchases={"sku-42": 2, "sku-7": 1}, revenue=lambda r: abs(r - 20.48) < 1e-6).within()
