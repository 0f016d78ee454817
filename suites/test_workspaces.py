"""Data is attributed to the intended workspace: a test key and a prod key never share profiles.

Expectations read the test's `test` workspace unless told: `.in_workspace("prod")` looks at the prod key's traffic
and profiles, `.in_all_workspaces()` at both (docs/expectations.md)."""


def test_data_lands_in_the_workspace_of_the_api_key(braze, braze_app_factory):
    user = braze.uid("ada")
    test_key, prod_key = braze.app_key("test"), braze.app_key("prod")

    staging = braze_app_factory(api_key=test_key)
    staging.launch()
    staging.login(user)
    staging.log_event("staging_only")
    staging.flush()

    braze.expect.custom_event("staging_only", user=user, api_key=test_key).within()
    in_test = braze.expect.profile(user).has(custom_events={"staging_only": 1}).within()
    assert in_test["workspace"].endswith("/test")

    production = braze_app_factory(api_key=prod_key)
    production.launch()
    production.login(user)
    production.log_event("prod_only")
    production.flush()
    braze.expect.custom_event("prod_only", user=user, api_key=prod_key).in_workspace("prod").within()
    braze.expect.custom_event("prod_only", user=user).never(within=0.5)  # not in the test workspace

    braze.expect.profile(user).in_workspace("prod").has(custom_events={"prod_only": 1}).within()
    braze.expect.profile(user).in_all_workspaces().count(2).within()
    profiles = {p["workspace"].rsplit("/", 1)[1]: p for p in braze.profiles(external_id=user)}
    assert set(profiles) == {"test", "prod"}
    assert profiles["test"]["custom_events"] == {"staging_only": 1}
    assert profiles["prod"]["custom_events"] == {"prod_only": 1}
