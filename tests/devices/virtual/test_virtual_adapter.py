"""`VirtualDeviceAdapter` and its plugin factories: the suites' app actions on virtual Android/iOS devices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from braze_harness.adapters import ATTRIBUTE_KINDS, AppAdapter
from braze_harness.devices.virtual import DeviceClock, VirtualDevice
from braze_harness.devices.virtual.adapter import VirtualAppError, VirtualDeviceAdapter, android_app, ios_app
from braze_harness.errors import HarnessConfigError

from tests.support.paths import REPO
from tests.support.virtual_lab import VirtualLab

pytest_plugins = ["pytester"]
SUITES = REPO / "suites"
# the data-ingestion suites, as a quick check here; CI runs every suite (messaging, push and SDK auth
# included) on the virtual targets with `./qa suites --braze-target android-virtual|ios-virtual`
ADAPTER_SUITES = ("test_sessions.py", "test_identity.py", "test_attributes.py", "test_events.py", "test_workspaces.py",
                  "test_faults.py")  # fmt: skip


class FakeConfig:
    def getoption(self, name: str, default: Any = None) -> Any:
        return {"--braze-proxy": False}.get(name, default)


class FakeRequest:
    """What the factories use of pytest's `request`: the emulator URL fixture and the options."""

    config = FakeConfig()

    def __init__(self, url: str) -> None:
        self.url = url

    def getfixturevalue(self, name: str) -> Any:
        assert name == "braze_emulator_url"
        return self.url


class FakeBraze:
    """What the factories use of the `braze` handle: a device id claimed by the test's scope."""

    def __init__(self, lab: VirtualLab) -> None:
        self.lab = lab
        self.claimed: list[tuple[str, bool]] = []

    def new_device_id(self, *, uppercase: bool = False) -> str:
        import uuid

        device_id = str(uuid.uuid4())
        device_id = device_id.upper() if uppercase else device_id
        self.lab.emulator.claim_devices(self.lab.scope, [device_id])
        self.claimed.append((device_id, uppercase))
        return device_id


def adapter(lab: VirtualLab, platform: str = "android", **options: Any) -> VirtualDeviceAdapter:
    factory = android_app if platform == "android" else ios_app
    app = factory(request=FakeRequest(lab.server.url), braze=FakeBraze(lab), api_key=lab.api_key(platform), **options)
    lab.devices.append(app.device)
    return app


@pytest.mark.parametrize(("platform", "upper"), [("android", False), ("ios", True)])
def test_factories_build_a_device_on_the_emulator_with_a_claimed_id(lab, platform, upper):
    braze = FakeBraze(lab)
    factory = android_app if platform == "android" else ios_app
    app = factory(request=FakeRequest(lab.server.url), braze=braze, api_key=lab.api_key(platform), session_timeout=12)
    assert isinstance(app, AppAdapter) and isinstance(app.device, VirtualDevice)
    assert braze.claimed == [(app.device_id, upper)]
    assert app.device.platform == platform and app.device.session_timeout == 12
    assert app.device.transport.root == f"{lab.server.url}/api/v3"
    with app:  # launch ... close
        lab.expect.session_start(device=app.device_id, user=None).within()
    assert not app.device.in_foreground


def test_factories_refuse_unknown_options_and_ignore_web_only_ones(lab):
    with pytest.raises(HarnessConfigError, match=r"unknown option.*colour"):
        adapter(lab, colour="blue")
    assert adapter(lab, logging=True, idle="foreground").idle == "foreground"
    quick = adapter(lab, init_options={"minimumIntervalBetweenTriggerActionsInSeconds": 5})
    assert quick.device.messaging.min_trigger_interval == 5
    # a wrong value is one clear error naming the option, not a ValueError/AttributeError from deep inside
    with pytest.raises(HarnessConfigError, match=r"init_options\.minimumIntervalBetweenTriggerActionsInSeconds"):
        adapter(lab, init_options={"minimumIntervalBetweenTriggerActionsInSeconds": "soon"})
    with pytest.raises(HarnessConfigError, match=r"init_options: must be a mapping"):
        adapter(lab, init_options="fast")


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_launch_reload_close(lab, platform):
    app = adapter(lab, platform)
    app.launch()
    session = app.device.session_id
    app.reload()  # restart within the timeout: same session, no new `ss`
    assert app.device.session_id == session
    app.log_event("after_reload")
    app.flush()
    lab.expect.custom_event("after_reload", session=session).within()
    lab.expect.session_start().exactly(1).within(settle=0.05)
    app.close()
    app.close()  # safe twice
    assert not app.device.in_foreground


@pytest.mark.parametrize("platform", ["android", "ios"])
def test_advance_time_spends_the_time_in_the_background_by_default(lab, platform):
    app = adapter(lab, platform, clock=DeviceClock(start=1_800_000_000.0, realtime=False))
    app.launch()
    first = app.device.session_id
    app.advance_time(15)
    assert app.device.session_id != first and app.device.in_foreground
    lab.expect.session_end(session=first).within()
    lab.expect.session_start().exactly(2).within(settle=0.05)

    short = adapter(lab, platform, clock=DeviceClock(realtime=False))
    short.launch()
    kept = short.device.session_id
    short.advance_time(5)  # within the timeout: the session continues
    assert short.device.session_id == kept


def test_advance_time_in_the_foreground_keeps_the_session(lab):
    app = adapter(lab, "android", idle="foreground", clock=DeviceClock(realtime=False))
    app.launch()
    session = app.device.session_id
    app.advance_time(3600)  # a mobile session does not time out while the app is open
    assert app.device.session_id == session and app.device.clock.skipped == 3600


def test_login_logout_profile(lab):
    app = adapter(lab, "ios")
    app.launch()
    assert app.login("ada") is True and app.user_id == "ada"
    sent = len(app.device.sent)
    assert app.logout() is True  # app-level: no changeUser, nothing sent
    assert app.user_id == "ada" and app.app_user is None and len(app.device.sent) == sent
    assert app.set_profile(first_name="Ada", dob="1815-12-10") == {"first_name": True, "dob": True}
    with pytest.raises(ValueError, match="unknown profile fields"):
        app.set_profile(nickname="A")
    with pytest.raises(VirtualAppError):
        app.login("")
    app.flush()
    lab.expect.profile("ada").has(first_name="Ada", dob="1815-12-10").within()


def test_every_attribute_kind(lab):
    app = adapter(lab, "android")
    app.launch()
    app.login("kinds")
    set_ = app.set_custom_attribute
    assert set(ATTRIBUTE_KINDS) == {
        "auto", "string", "number", "boolean", "date", "array", "object", "object-merge",
        "increment", "add-to-array", "remove-from-array", "location", "null",
    }  # fmt: skip
    assert set_("a_auto", 1.5) and set_("a_string", "s", kind="string") and set_("a_number", "42", kind="number")
    assert set_("a_bool", False, kind="boolean")
    assert set_("a_date", "2024-01-02T03:04:05Z", kind="date")
    assert set_("a_array", ["x", "y"], kind="array") and set_("a_object", {"k": 1}, kind="object")
    assert set_("a_object", {"j": 2}, kind="object-merge")
    assert set_("a_inc", None, kind="increment") and set_("a_inc", 4, kind="increment")
    assert set_("a_array", "z", kind="add-to-array") and set_("a_array", "x", kind="remove-from-array")
    assert set_("a_loc", {"latitude": 1.0, "longitude": 2.0}, kind="location")
    assert set_("a_loc2", (3.0, 4.0), kind="location") and set_("a_loc2", None, kind="location")
    assert set_("a_auto", None, kind="null")
    for bad_value, kind in (("yes", "boolean"), ("abc", "number"), ("soon", "date"), ("x", "array"), ([1], "object")):
        with pytest.raises(VirtualAppError):
            set_("bad", bad_value, kind=kind)
    with pytest.raises(ValueError, match="unknown attribute kind"):
        set_("bad", 1, kind="colour")  # type: ignore[arg-type]
    app.flush()
    profile = (
        lab.expect.profile("kinds")
        .has(
            custom={
                "a_string": "s",
                "a_number": 42.0,
                "a_bool": False,
                "a_date": "2024-01-02T03:04:05",
                "a_array": ["y", "z"],
                "a_object": {"k": 1, "j": 2},
                "a_inc": 5,
            }
        )
        .within()
    )
    custom = profile["attributes"]["custom"]
    assert "a_auto" not in custom and "a_loc2" not in custom and custom["a_loc"]["longitude"] == 2.0


def test_events_and_purchases(lab):
    app = adapter(lab, "ios")
    app.launch()
    app.login("shopper")
    assert app.log_event("viewed", {"at": dt.date(2024, 1, 2)}) is True
    assert app.purchase("sku-1", "4.5", "gbp", 2) is True
    assert app.purchase("sku-2", 1, quantity=1000) is False  # the SDK refuses quantities over 100
    app.flush()
    lab.expect.purchase("sku-1", price=4.5, currency="GBP", quantity=2, user="shopper").within()
    lab.expect.profile("shopper").has(custom_events={"viewed": 1}, purchases={"sku-1": 2}).within()


@pytest.mark.parametrize("factory", ["android_app", "ios_app"])
def test_the_suites_pass_on_the_virtual_device(pytester: pytest.Pytester, factory: str) -> None:
    """The acceptance run: the existing QA suites, unchanged, through the plugin's --braze-adapter."""
    suites = [str(SUITES / name) for name in ADAPTER_SUITES if (SUITES / name).exists()]
    adapter_option = f"--braze-adapter=braze_harness.devices.virtual.adapter:{factory}"
    result = pytester.runpytest_subprocess(*suites, "-p", "no:cacheprovider", "-n", "2", "-q", adapter_option, timeout=180)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert outcomes.get("passed", 0) >= 14 and not outcomes.get("failed")
