"""Standard and custom attributes of every type land on the right profile."""

import datetime as dt

import pytest


def test_standard_attributes(braze, braze_app):
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.login(user)
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "country": "GB",
        "home_city": "London",
        "language": "en",
        "phone": "+442012345678",
        "email_subscribe": "opted_in",
        "push_subscribe": "subscribed",
    }
    braze_app.set_profile(**fields)
    braze_app.flush()

    braze.expect.attributes(user=user, first_name="Ada", email="ada@example.com").within()
    braze.expect.profile(user).has(**fields).within()


@pytest.mark.braze_web_sdk_feature("nested_custom_attributes")
def test_custom_attributes_of_every_type(braze, braze_app):
    user = braze.uid("typed")
    braze_app.launch()
    braze_app.login(user)
    app = braze_app
    app.set_custom_attribute("str_attr", "hello")
    app.set_custom_attribute("int_attr", 7)
    app.set_custom_attribute("float_attr", 42.5)
    app.set_custom_attribute("bool_attr", True)
    app.set_custom_attribute("date_attr", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    app.set_custom_attribute("tags", ["a", "b"])
    app.set_custom_attribute("tags", "c", kind="add-to-array")
    app.set_custom_attribute("tags", "a", kind="remove-from-array")
    app.set_custom_attribute("visits", 2, kind="increment")
    app.set_custom_attribute("visits", 3, kind="increment")
    app.set_custom_attribute("address", {"city": "London", "geo": {"x": 1}})
    app.set_custom_attribute("address", {"geo": {"y": 2}}, kind="object-merge")
    app.set_custom_attribute("orders", [{"id": 1}, {"id": 2}])
    app.set_custom_attribute("home", (51.5, -0.12), kind="location")
    app.set_custom_attribute("temp_attr", "soon gone")
    app.flush()
    braze.expect.profile(user).has(custom={"temp_attr": "soon gone"}).within()
    app.set_custom_attribute("temp_attr", None, kind="null")
    app.flush()

    braze.expect.event("inc", data={"key": "visits", "value": 3}, user=user).within()
    profile = (
        braze.expect.profile(user)
        .has(
            custom={
                "str_attr": "hello",
                "int_attr": 7,
                "float_attr": 42.5,
                "bool_attr": True,
                "date_attr": lambda v: str(v).startswith("2024-01-02T03:04:05"),
                "tags": ["b", "c"],
                "visits": 5,
                "address": {"city": "London", "geo": {"x": 1, "y": 2}},
                "orders": [{"id": 1}, {"id": 2}],
            },
            # the null that unsets it may land after the rest: wait for it too, not only for what is present
            attributes=lambda attributes: "temp_attr" not in attributes.get("custom", {}),
        )
        .within()
    )
    custom = profile["attributes"]["custom"]
    assert "temp_attr" not in custom
    assert custom["home"]["latitude"] == 51.5 and custom["home"]["longitude"] == -0.12


def test_attributes_set_before_login_follow_the_user(braze, braze_app):
    user = braze.uid("late-login")
    braze_app.launch()
    braze_app.set_profile(last_name="Anonymous-Then-Known")
    braze_app.login(user)
    braze_app.flush()

    braze.expect.attributes(user=user, last_name="Anonymous-Then-Known").within()
    braze.expect.profile(user).has(last_name="Anonymous-Then-Known").within()
