"""Targets and device profiles: capabilities of every kind, reset commands, YAML loading, every validation message,
`--braze-target` / `--braze-targets-file` in pytest, and target → adapter mapping."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from braze_harness.devices.targets import (
    FAKE_APP_XML,
    KINDS,
    TargetError,
    builtin_targets,
    known_targets,
    load_targets_file,
    parse_target,
    redact_capabilities,
    resolve_target,
)

from tests.support.paths import REPO

pytest_plugins = ["pytester"]

EXAMPLE = REPO / "devices" / "targets" / "example-targets.yaml"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY, ENDPOINT = "api-key-1", "http://127.0.0.1:9090"


@pytest.fixture
def apps(tmp_path: Path) -> Path:
    """Placeholder app files where the example's relative paths point (the edge: no real APK/IPA here)."""
    (tmp_path / "apps" / "QA.app").mkdir(parents=True)
    for name in ("qa-debug.apk", "QA.ipa", "fake_app.xml"):
        (tmp_path / "apps" / name).write_text("placeholder")
    return tmp_path


@pytest.fixture
def example(apps: Path) -> dict:
    shutil.copy(EXAMPLE, apps / "braze-targets.yaml")
    return load_targets_file(apps / "braze-targets.yaml")


@pytest.fixture
def farm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSERSTACK_USERNAME", "bs-user")
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "bs-secret")
    monkeypatch.setenv("SAUCE_USERNAME", "sauce-user")
    monkeypatch.setenv("SAUCE_ACCESS_KEY", "sauce-secret")


def test_the_example_file_has_one_profile_of_every_appium_kind_and_loads(example: dict) -> None:
    kinds = {t.kind for t in example.values()}
    assert kinds == set(KINDS) - {"web", "android-virtual", "ios-virtual"}
    assert all(t.uses_appium and t.adapter == "braze_harness.plugin.appium:appium_app" for t in example.values())


def test_builtin_targets_and_their_adapters() -> None:
    targets = builtin_targets()
    assert list(targets) == ["web", "android-virtual", "ios-virtual", "fake"]
    rows = {n: (t.kind, t.platform, t.adapter, t.appium_url, t.app_id, t.uses_appium) for n, t in targets.items()}
    assert rows == {
        "web": ("web", "web", None, None, None, False),
        "android-virtual": ("android-virtual", "android", "braze_harness.devices.virtual.adapter:android_app", None, None, False),
        "ios-virtual": ("ios-virtual", "ios", "braze_harness.devices.virtual.adapter:ios_app", None, None, False),
        "fake": ("fake", "fake", "braze_harness.plugin.appium:appium_app", None, None, True),
    }
    for name in ("web", "android-virtual", "ios-virtual"):
        with pytest.raises(TargetError, match=f"target {name} .* is not driven by Appium"):
            targets[name].capabilities()
        assert targets[name].reset_commands() == []
        assert targets[name].launch_command() is None


def test_fake_capabilities_use_the_project_app_xml() -> None:
    fake = builtin_targets()["fake"]
    assert fake.capabilities(api_key=KEY, endpoint=ENDPOINT) == {
        "platformName": "Fake",
        "appium:automationName": "Fake",
        "appium:app": str(FAKE_APP_XML),
    }
    assert REPO / "devices" / "appium" / "fake_app.xml" == FAKE_APP_XML
    assert fake.reset_commands() == []


def test_fake_profile_with_its_own_xml(example: dict, apps: Path) -> None:
    caps = example["fake-login"].capabilities()
    assert caps == {"platformName": "Fake", "appium:automationName": "Fake", "appium:app": str(apps / "apps" / "fake_app.xml")}


def test_android_emulator_capabilities(example: dict, apps: Path) -> None:
    target = example["pixel7"]
    assert (target.platform, target.app_id, target.appium_url) == ("android", "com.example.braze.qa", None)
    assert target.capabilities(api_key=KEY, endpoint=ENDPOINT) == {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:app": str(apps / "apps" / "qa-debug.apk"),
        "appium:appPackage": "com.example.braze.qa",
        "appium:appActivity": ".MainActivity",
        "appium:platformVersion": "14",
        "appium:noReset": False,
        "appium:fullReset": False,
        "appium:autoGrantPermissions": True,
        # the emulator reaches the host's loopback at 10.0.2.2
        "appium:optionalIntentArguments": "--es braze_endpoint http://10.0.2.2:9090 --es braze_api_key api-key-1",
        "appium:avd": "Pixel_7_API_34",
        "appium:avdArgs": ["-http-proxy", "http://127.0.0.1:8080"],
    }
    assert target.reset_commands() == []  # reset "session": the new session clears the app's data
    assert target.launch_command(api_key=KEY, endpoint=ENDPOINT) == (
        "mobile: startActivity",
        {
            "component": "com.example.braze.qa/.MainActivity",
            "extras": [["s", "braze_endpoint", "http://10.0.2.2:9090"], ["s", "braze_api_key", KEY]],
            "wait": True,
        },
    )


def test_locators_are_loaded_with_the_profile(example: dict, tmp_path: Path) -> None:
    from braze_harness.devices.targets.locators import Locators

    assert isinstance(example["pixel7"].locators, Locators)
    assert example["pixel7"].locators.login_button.value == "Log in"
    (tmp_path / "loc.yaml").write_text("login_field: {by: xpath, value: //input}\n")
    target = parse_target("f", {"kind": "fake", "locators": "loc.yaml"}, base_dir=tmp_path)
    assert target.locators.login_field.value == "//input"
    assert target.locators.login_button.value == "login"  # the fake app's own ids fill the rest
    with pytest.raises(TargetError, match=r"^t.yaml: e.locators: .*login_button: Field required"):
        parse_target(
            "e",
            {"kind": "android-device", "udid": "X", "app_package": "com.a.b", "locators": "loc.yaml"},
            source="t.yaml",
            base_dir=tmp_path,
        )
    with pytest.raises(TargetError, match=r"^t.yaml: f.locators: login_field.by: Input should be 'id'"):
        parse_target("f", {"kind": "fake", "locators": {"login_field": {"by": "idd", "value": "x"}}}, source="t.yaml")
    with pytest.raises(TargetError, match=r"^t.yaml: f.locators: cannot read .*missing.yaml"):
        parse_target("f", {"kind": "fake", "locators": "missing.yaml"}, source="t.yaml", base_dir=tmp_path)


def test_android_emulator_on_a_running_serial_without_hooks_or_push() -> None:
    target = parse_target(
        "emu",
        {
            "kind": "android-emulator",
            "udid": "emulator-5554",
            "app_package": "com.ex.app",
            "hooks": None,
            "push_permission": "deny",
            "reset": "session",
        },
    )
    assert target.capabilities(api_key=KEY, endpoint=ENDPOINT) == {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:appPackage": "com.ex.app",
        "appium:noReset": False,
        "appium:fullReset": False,
        "appium:autoGrantPermissions": False,
        "appium:udid": "emulator-5554",
    }
    assert target.reset_commands() == []  # the session start clears the data


def test_android_device_capabilities(example: dict) -> None:
    target = example["galaxy"]
    assert target.capabilities(api_key=KEY, endpoint=ENDPOINT) == {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:appPackage": "com.example.braze.qa",
        "appium:appActivity": ".MainActivity",
        "appium:noReset": True,
        "appium:fullReset": False,
        "appium:autoGrantPermissions": True,
        # a phone reaches the host's loopback through `adb reverse`: not rewritten
        "appium:optionalIntentArguments": "--es braze_endpoint http://127.0.0.1:9090 --es braze_api_key api-key-1",
        "appium:udid": "R5CT12345AB",
    }
    # reset "clear": the session is kept; before each test the app's data goes, push is granted again, and the app
    # is relaunched with the launch arguments (activateApp would not carry them)
    assert target.reset_commands() == [
        ("mobile: terminateApp", {"appId": "com.example.braze.qa"}),
        ("mobile: clearApp", {"appId": "com.example.braze.qa"}),
        (
            "mobile: changePermissions",
            {"permissions": ["android.permission.POST_NOTIFICATIONS"], "appPackage": "com.example.braze.qa", "action": "grant"},
        ),
    ]
    assert target.launch_command(api_key=KEY, endpoint=ENDPOINT) == (
        "mobile: startActivity",
        {
            "component": "com.example.braze.qa/.MainActivity",
            "extras": [["s", "braze_endpoint", ENDPOINT], ["s", "braze_api_key", KEY]],
            "wait": True,
        },
    )
    no_activity = parse_target("d", {"kind": "android-device", "udid": "X", "app_package": "com.a.b"})
    assert no_activity.launch_command(api_key=KEY) == ("mobile: activateApp", {"appId": "com.a.b"})


def test_ios_simulator_capabilities_with_the_run_ca(example: dict, apps: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM)
    target = example["iphone15"]
    assert (target.platform, target.app_id) == ("ios", "com.example.braze.qa")
    assert target.capabilities(api_key=KEY, endpoint=ENDPOINT, ca_pem=ca) == {
        "platformName": "iOS",
        "appium:automationName": "XCUITest",
        "appium:app": str(apps / "apps" / "QA.app"),
        "appium:bundleId": "com.example.braze.qa",
        "appium:deviceName": "iPhone 15",
        "appium:platformVersion": "17.5",
        "appium:noReset": True,
        "appium:fullReset": False,
        "appium:autoAcceptAlerts": True,
        "appium:permissions": json.dumps({"com.example.braze.qa": {"notifications": "YES"}}),
        "appium:processArguments": {
            "args": ["-braze_endpoint", ENDPOINT, "-braze_api_key", KEY],
            "env": {"BRAZE_ENDPOINT": ENDPOINT, "BRAZE_API_KEY": KEY},
        },
        "appium:customSSLCert": PEM,
    }
    assert target.reset_commands() == [
        ("mobile: terminateApp", {"bundleId": "com.example.braze.qa"}),
        ("mobile: clearApp", {"bundleId": "com.example.braze.qa"}),
        ("mobile: clearKeychains", {}),
    ]
    assert target.launch_command(api_key=KEY, endpoint=ENDPOINT) == (
        "mobile: launchApp",
        {
            "bundleId": "com.example.braze.qa",
            "arguments": ["-braze_endpoint", ENDPOINT, "-braze_api_key", KEY],
            "environment": {"BRAZE_ENDPOINT": ENDPOINT, "BRAZE_API_KEY": KEY},
        },
    )


def test_ios_simulator_bad_ca_file(example: dict, tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"iphone15: cannot read the CA certificate .*missing\.pem"):
        example["iphone15"].capabilities(ca_pem=tmp_path / "missing.pem")
    (tmp_path / "x.pem").write_text("hello")
    with pytest.raises(TargetError, match=r"iphone15: .*x\.pem is not a PEM certificate"):
        example["iphone15"].capabilities(ca_pem=tmp_path / "x.pem")


def test_ios_device_capabilities(example: dict, apps: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM)
    target = example["my-iphone"]
    assert target.capabilities(api_key=KEY, endpoint=ENDPOINT, ca_pem=ca) == {
        "platformName": "iOS",
        "appium:automationName": "XCUITest",
        "appium:app": str(apps / "apps" / "QA.ipa"),
        "appium:bundleId": "com.example.braze.qa",
        "appium:noReset": False,
        "appium:fullReset": True,
        "appium:autoAcceptAlerts": True,
        "appium:processArguments": {
            "args": ["-braze_endpoint", ENDPOINT, "-braze_api_key", KEY],
            "env": {"BRAZE_ENDPOINT": ENDPOINT, "BRAZE_API_KEY": KEY},
        },
        "appium:udid": "00008110-001A2B3C4D5E6F70",
        "appium:xcodeOrgId": "ABCDE12345",
        "appium:xcodeSigningId": "Apple Development",
    }  # no customSSLCert unless install_ca (iOS 18+ only), no simulator-only permissions
    assert target.reset_commands() == []
    assert target.launch_command()[0] == "mobile: launchApp"


def test_browserstack_capabilities(example: dict, farm_env: None) -> None:
    target = example["bstack-pixel"]
    assert target.appium_url == "https://hub-cloud.browserstack.com/wd/hub"
    assert (target.platform, target.app_id) == ("android", "com.example.braze.qa")
    caps = target.capabilities(api_key=KEY, endpoint="https://sdk.iad-01.braze.com")
    assert caps == {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:app": "bs://c700ce60cf13ae8ed97705a55b8e022f13c5827c",
        "appium:appPackage": "com.example.braze.qa",
        "appium:noReset": False,
        "appium:fullReset": False,
        "appium:autoGrantPermissions": True,
        "appium:optionalIntentArguments": "--es braze_endpoint https://sdk.iad-01.braze.com --es braze_api_key api-key-1",
        "bstack:options": {
            "userName": "bs-user",
            "accessKey": "bs-secret",
            "deviceName": "Google Pixel 8",
            "osVersion": "14.0",
            "appiumVersion": "2.19.0",
            "projectName": "braze-qa",
            "buildName": "nightly",
            "networkLogs": True,
            "networkLogsOptions": {"captureContent": True},
        },
    }
    assert redact_capabilities(caps)["bstack:options"]["accessKey"] == "***"
    assert redact_capabilities(caps)["bstack:options"]["userName"] == "bs-user"
    assert "bs-secret" not in repr(target) and "bs-secret" not in target.describe()


def test_saucelabs_capabilities(example: dict, farm_env: None) -> None:
    target = example["sauce-iphone"]
    assert target.appium_url == "https://ondemand.eu-central-1.saucelabs.com/wd/hub"
    assert (target.platform, target.app_id) == ("ios", "com.example.braze.qa")
    caps = target.capabilities(api_key=KEY, endpoint="https://sdk.iad-01.braze.com")
    assert caps == {
        "platformName": "iOS",
        "appium:automationName": "XCUITest",
        "appium:app": "storage:filename=QA.ipa",
        "appium:bundleId": "com.example.braze.qa",
        "appium:deviceName": "iPhone.*",
        "appium:platformVersion": "17",
        "appium:noReset": False,
        "appium:fullReset": False,
        "appium:autoAcceptAlerts": True,
        "appium:processArguments": {
            "args": ["-braze_endpoint", "https://sdk.iad-01.braze.com", "-braze_api_key", KEY],
            "env": {"BRAZE_ENDPOINT": "https://sdk.iad-01.braze.com", "BRAZE_API_KEY": KEY},
        },
        "sauce:options": {
            "username": "sauce-user",
            "accessKey": "sauce-secret",
            "appiumVersion": "latest",
            "build": "nightly",
            "networkCapture": True,
        },
    }
    assert redact_capabilities(caps)["sauce:options"] == {**caps["sauce:options"], "accessKey": "***"}
    assert target.reset_commands() == []


def test_farm_credentials_from_env_names_given_in_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_BS_USER", "u2")
    monkeypatch.setenv("MY_BS_KEY", "k2")
    target = parse_target(
        "bs",
        {
            "kind": "browserstack",
            "platform": "ios",
            "app": "bs://abc",
            "device_name": "iPhone 15",
            "bundle_id": "com.ex.app",
            "username_env": "MY_BS_USER",
            "access_key_env": "MY_BS_KEY",
            "network_logs": False,
            "local": True,
            "local_identifier": "run-1",
            "hooks": None,
        },
    )
    assert target.capabilities()["bstack:options"] == {
        "userName": "u2",
        "accessKey": "k2",
        "deviceName": "iPhone 15",
        "networkLogs": False,
        "local": True,
        "localIdentifier": "run-1",
    }


def test_remote_grid_capabilities(example: dict) -> None:
    target = example["grid-android"]
    assert target.appium_url == "http://127.0.0.1:4444/wd/hub"
    target.check_environment()  # no credentials needed
    assert target.capabilities(api_key=KEY) == {
        "platformName": "Android",
        "appium:automationName": "UiAutomator2",
        "appium:appPackage": "com.example.braze.qa",
        "appium:appActivity": ".MainActivity",
        "appium:noReset": False,
        "appium:fullReset": False,
        "appium:autoGrantPermissions": True,
        "appium:optionalIntentArguments": "--es braze_api_key api-key-1",
        "appium:newCommandTimeout": 120,
    }


def test_remote_url_credentials_are_never_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from braze_harness.devices.targets.__main__ import main

    target = parse_target(
        "g", {"kind": "remote", "url": "https://user:secret@grid.example/wd/hub", "platform": "ios", "bundle_id": "com.a.b"}
    )
    assert "secret" not in target.describe()
    path = tmp_path / "grid.yaml"
    grid = "{kind: remote, url: 'https://user:secret@grid.example/wd/hub', platform: ios, bundle_id: com.a.b}"
    path.write_text(f"targets:\n  g: {grid}\n")
    assert main(["--file", str(path)]) == 0 and main(["g", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "secret" not in out and "https://***@grid.example/wd/hub" in out


def test_local_appium_kinds_can_use_another_appium_server() -> None:
    target = parse_target(
        "e", {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "url": "http://127.0.0.1:4723/"}
    )
    assert target.appium_url == "http://127.0.0.1:4723"


def test_debug_hook_names_and_extras() -> None:
    target = parse_target(
        "e",
        {
            "kind": "android-device",
            "udid": "X1",
            "app_package": "com.a.b",
            "hooks": {"endpoint": "qa.endpoint", "api_key": "qa.key", "extras": {"qa.log": "verbose"}},
        },
    )
    assert target.capabilities(api_key=KEY, endpoint=ENDPOINT)["appium:optionalIntentArguments"] == (
        "--es qa.endpoint http://127.0.0.1:9090 --es qa.key api-key-1 --es qa.log verbose"
    )
    with pytest.raises(TargetError, match=r"debug hook qa.key: 'a b' contains whitespace"):
        target.capabilities(api_key="a b")
    # endpoint: null keeps the build's own Braze host (reached through mitmproxy); only the api key is sent
    keep_host = parse_target("k", {"kind": "android-device", "udid": "X1", "app_package": "com.a.b", "hooks": {"endpoint": None}})
    caps = keep_host.capabilities(api_key=KEY, endpoint=ENDPOINT)
    assert caps["appium:optionalIntentArguments"] == "--es braze_api_key api-key-1"


def test_redaction_masks_nested_secrets_only() -> None:
    caps = {"appium:app": "x", "x:opts": {"accessKey": "s", "password": "p", "user": "u", "nested": {"apiKey": "k"}}}
    assert redact_capabilities(caps) == {
        "appium:app": "x",
        "x:opts": {"accessKey": "***", "password": "***", "user": "u", "nested": {"apiKey": "***"}},
    }


# ---- validation errors: one line naming the file, profile, field and what is expected ----

BAD_PROFILES = [
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "app": "/x.apk"},
        "pixel7.app: the file /x.apk does not exist",
    ),
    ({"kind": "android-emulator", "app_package": "com.a.b"}, "pixel7: avd or udid: one is required"),
    ({"kind": "android-emulator", "avd": "A"}, "pixel7.app_package: required"),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "nodots"},
        "pixel7.app_package: 'nodots' is not an Android package name",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "colour": 1},
        "pixel7.colour: unknown field; known for android-emulator: app, app_activity",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "proxy": "nope"},
        "pixel7.proxy: 'nope' is not host:port",
    ),
    (
        {"kind": "android-emulator", "udid": "emulator-5554", "app_package": "com.a.b", "proxy": "127.0.0.1:8080"},
        "pixel7: proxy: needs avd",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "reset": "sometimes"},
        "pixel7.reset: Input should be 'clear', 'session', 'reinstall' or 'none'",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "push_permission": "yes"},
        "pixel7.push_permission: Input should be 'grant', 'deny' or 'leave'",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "extra_capabilities": {"noReset": True}},
        "pixel7.extra_capabilities: noReset: not W3C capability names; driver capabilities need a vendor prefix (appium:noReset)",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "url": "localhost:4723"},
        "pixel7.url: 'localhost:4723' is not an http(s) URL",
    ),
    (
        {"kind": "android-emulator", "avd": "A", "app_package": "com.a.b", "hooks": {"endpoint": "a b"}},
        "pixel7.hooks.endpoint: 'a b' is not a launch argument name",
    ),
    ({"kind": "android-device", "app_package": "com.a.b"}, "pixel7.udid: required"),
    ({"kind": "ios-simulator", "bundle_id": "com.a.b"}, "pixel7: udid, or device_name and platform_version, are required"),
    ({"kind": "ios-simulator", "udid": "U", "bundle_id": "bad id"}, "pixel7.bundle_id: 'bad id' is not a bundle id"),
    (
        {"kind": "ios-device", "udid": "U", "bundle_id": "com.a.b", "reset": "clear"},
        "pixel7: reset: 'clear' needs a simulator (mobile: clearApp is simulator only); use reset: reinstall",
    ),
    ({"kind": "ios-device", "udid": "U", "bundle_id": "com.a.b"}, "pixel7: app: required with reset 'reinstall'"),
    (
        {"kind": "browserstack", "platform": "android", "app": "bs://x", "device_name": "P"},
        "pixel7: app_package: required for an Android app",
    ),
    (
        {"kind": "browserstack", "platform": "ios", "app": "bs://x", "device_name": "P"},
        "pixel7: bundle_id: required for an iOS app",
    ),
    ({"kind": "browserstack", "platform": "android", "app_package": "com.a.b", "device_name": "P"}, "pixel7.app: required"),
    (
        {"kind": "browserstack", "platform": "web", "app": "bs://x", "device_name": "P"},
        "pixel7.platform: Input should be 'android' or 'ios'",
    ),
    (
        {
            "kind": "browserstack",
            "platform": "android",
            "app": "bs://x",
            "device_name": "P",
            "app_package": "com.a.b",
            "username_env": "1-bad",
        },
        "pixel7.username_env: '1-bad' is not an environment variable name",
    ),
    (
        {
            "kind": "saucelabs",
            "platform": "ios",
            "app": "storage:x",
            "device_name": "P",
            "bundle_id": "com.a.b",
            "region": "mars",
        },
        "pixel7.region: Input should be 'us-west-1', 'eu-central-1' or 'us-east-4'",
    ),
    (
        {
            "kind": "saucelabs",
            "platform": "ios",
            "app": "storage:x",
            "device_name": "P",
            "bundle_id": "com.a.b",
            "reset": "clear",
        },
        "pixel7: reset: 'clear' needs a simulator",
    ),
    ({"kind": "remote", "platform": "android", "app_package": "com.a.b"}, "pixel7.url: required"),
    ({"kind": "fake", "app": "/nope.xml"}, "pixel7.app: the file /nope.xml does not exist"),
    ({"kind": "teleport"}, "pixel7.kind: 'teleport' is not a target kind; one of web, android-virtual"),
    ({"kind": ["fake"]}, "pixel7.kind: ['fake'] is not a target kind; one of web, android-virtual"),
    ({"avd": "A"}, "pixel7.kind: required; one of web, android-virtual"),
    ({"kind": "web", "name": "other"}, "pixel7.name: the profile's name is its key"),
    ("just a string", "pixel7: expected a mapping of fields (kind: …), got str"),
]


@pytest.mark.parametrize(("profile", "message"), BAD_PROFILES, ids=[m.split(":")[1].strip()[:40] for _, m in BAD_PROFILES])
def test_bad_profiles_fail_early_naming_file_profile_and_field(profile: object, message: str) -> None:
    with pytest.raises(TargetError) as info:
        parse_target("pixel7", profile, source="targets.yaml")
    assert str(info.value).startswith(f"targets.yaml: {message}"), str(info.value)
    assert "\n" not in str(info.value)


def test_an_app_file_of_the_wrong_type(tmp_path: Path) -> None:
    (tmp_path / "app.ipa").write_text("x")
    with pytest.raises(TargetError, match=r"targets.yaml: p.app: .*app.ipa is not an Android app \(.apk, .apks, .aab, .zip\)"):
        parse_target(
            "p",
            {"kind": "android-device", "udid": "X", "app_package": "com.a.b", "app": "app.ipa"},
            source="targets.yaml",
            base_dir=tmp_path,
        )


def test_relative_app_paths_are_relative_to_the_targets_file(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "a.apk").write_text("x")
    (tmp_path / "cfg" / "t.yaml").write_text(
        yaml.safe_dump({"targets": {"e": {"kind": "android-device", "udid": "X", "app_package": "com.a.b", "app": "a.apk"}}})
    )
    assert load_targets_file(tmp_path / "cfg" / "t.yaml")["e"].app == str(tmp_path / "cfg" / "a.apk")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("targets: [1, 2]\n", "t.yaml: expected a mapping `targets:` of name → profile"),
        ("targets: {}\nextra: 1\n", "t.yaml: unknown top-level key(s) extra; expected `targets:` and `default:`"),
        ("default: nope\ntargets: {}\n", "t.yaml: default: 'nope' is not a target of this file or a built-in; known: web,"),
        ("targets: {a: [\n", "t.yaml: not valid YAML: "),
        ("targets:\n  web: {kind: fake}\n", "t.yaml: web: a built-in target has that name; choose another"),
        ("targets:\n  x: {kind: android-device, udid: U}\n", "t.yaml: x.app_package: required"),
    ],
)
def test_bad_targets_files(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(TargetError) as info:
        load_targets_file(tmp_path / "t.yaml")
    assert str(info.value).startswith(message), str(info.value)


def test_the_file_default_is_used_without_braze_target(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("default: phone\ntargets:\n  phone: {kind: android-device, udid: X, app_package: com.a.b}\n")
    assert resolve_target(None, tmp_path / "t.yaml").name == "phone"
    assert resolve_target("ios-virtual", tmp_path / "t.yaml").name == "ios-virtual"  # the option wins
    (tmp_path / "b.yaml").write_text("default: android-virtual\n")
    assert resolve_target(None, tmp_path / "b.yaml").name == "android-virtual"


def test_missing_targets_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"--braze-targets-file: .*nope.yaml does not exist"):
        load_targets_file(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("")
    assert load_targets_file(tmp_path / "empty.yaml") == {}
    # a directory or a file that is not text: one line naming the option, not an OSError/UnicodeDecodeError
    with pytest.raises(TargetError, match=r"--braze-targets-file: .* cannot be read: "):
        load_targets_file(tmp_path)
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00targets")
    with pytest.raises(TargetError, match=r"--braze-targets-file: .*binary.yaml cannot be read: "):
        load_targets_file(tmp_path / "binary.yaml")


def test_resolve_names_and_farm_credentials(example: dict, apps: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = apps / "braze-targets.yaml"
    assert resolve_target(None).name == "web"
    assert resolve_target("pixel7", path).kind == "android-emulator"
    assert list(known_targets(path))[:4] == ["web", "android-virtual", "ios-virtual", "fake"]
    with pytest.raises(
        TargetError,
        match=r"unknown target 'nope'; known \(built-in and from braze-targets.yaml\): web, android-virtual, ios-virtual, "
        r"fake, pixel7",
    ):
        resolve_target("nope", path)
    monkeypatch.delenv("BROWSERSTACK_USERNAME", raising=False)
    with pytest.raises(TargetError, match=r"^bstack-pixel: env BROWSERSTACK_USERNAME is not set"):
        resolve_target("bstack-pixel", path)
    monkeypatch.setenv("BROWSERSTACK_USERNAME", "u")
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY", raising=False)
    with pytest.raises(TargetError, match=r"^bstack-pixel: env BROWSERSTACK_ACCESS_KEY is not set"):
        example["bstack-pixel"].capabilities()
    monkeypatch.delenv("SAUCE_USERNAME", raising=False)
    with pytest.raises(TargetError, match=r"^sauce-iphone: env SAUCE_USERNAME is not set"):
        resolve_target("sauce-iphone", path)


# ---- the pytest options ----

OPTION_TEST = """
def test_target(braze_target, pytestconfig):
    from braze_harness.plugin.fixtures import target_adapter
    print("TARGET", braze_target.name, braze_target.kind, target_adapter(pytestconfig))
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *args, timeout=120)


def test_option_default_is_web_and_a_targets_file_in_the_rootdir_is_read(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_t=OPTION_TEST)
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*TARGET web web None*"])
    (pytester.path / "app.xml").write_text("<app/>")
    (pytester.path / "braze-targets.yaml").write_text("targets:\n  mine: {kind: fake, app: app.xml}\n")
    result = _run(pytester, "--braze-target", "mine")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*TARGET mine fake braze_harness.plugin.appium:appium_app*"])


@pytest.mark.parametrize(
    ("name", "adapter"),
    [
        ("android-virtual", "braze_harness.devices.virtual.adapter:android_app"),
        ("ios-virtual", "braze_harness.devices.virtual.adapter:ios_app"),
        ("fake", "braze_harness.plugin.appium:appium_app"),
    ],
)
def test_target_picks_the_adapter(pytester: pytest.Pytester, name: str, adapter: str) -> None:
    pytester.makepyfile(test_t=OPTION_TEST)
    result = _run(pytester, "--braze-target", name)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*TARGET {name} {name} {adapter}*"])


def test_braze_adapter_option_wins_over_the_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_t="""
def test_app(braze_app):
    print("APP", type(braze_app).__name__, braze_app.device_id.isupper())
"""
    )
    result = _run(
        pytester, "--braze-target", "android-virtual", "--braze-adapter", "braze_harness.devices.virtual.adapter:ios_app"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*APP VirtualDeviceAdapter True*"])  # iOS device ids are upper-case


def test_android_virtual_target_drives_a_virtual_device(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_t="""
def test_app(braze_app, braze):
    braze_app.launch()
    braze_app.log_event("played", {"n": 1})
    braze_app.flush()
    braze.expect.custom_event("played", props={"n": 1}).within(10)
    print("APP", type(braze_app).__name__, braze_app.device_id.islower())
"""
    )
    result = _run(pytester, "--braze-target", "android-virtual")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*APP VirtualDeviceAdapter True*"])


def test_unknown_target_is_a_usage_error_listing_known_targets(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_t=OPTION_TEST)
    result = _run(pytester, "--braze-target", "pixel9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--braze-target: unknown target 'pixel9'; known (built-in): web, android-virtual, ios-virtual, fake*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_bad_profile_is_a_usage_error_naming_file_profile_and_field(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_t=OPTION_TEST)
    (pytester.path / "mine.yaml").write_text(
        "targets:\n  pixel7: {kind: android-emulator, avd: A, app_package: com.a.b, app: /x.apk}\n"
    )
    result = _run(pytester, "--braze-targets-file", "mine.yaml", "--braze-target", "pixel7")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mine.yaml: pixel7.app: the file /x.apk does not exist*"])
    assert "Traceback" not in result.stderr.str()


def test_missing_farm_credentials_is_a_usage_error_with_the_known_targets(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_t=OPTION_TEST)
    (pytester.path / "farm.yaml").write_text(
        "targets:\n  bs: {kind: browserstack, platform: android, app: 'bs://x', device_name: P, app_package: com.a.b,"
        " username_env: NOT_SET_USER_XYZ}\n"
    )
    result = _run(pytester, "--braze-targets-file", "farm.yaml", "--braze-target", "bs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bs: env NOT_SET_USER_XYZ is not set (browserstack credentials) (known targets: web, *, bs)*"])


def test_the_targets_command_lists_and_shows_with_credentials_masked(
    example: dict, apps: Path, farm_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from braze_harness.devices.targets.__main__ import main

    path = str(apps / "braze-targets.yaml")
    assert main(["--file", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["web", "web", "web", "-"]
    assert "bstack-pixel browserstack android https://hub-cloud.browserstack.com/wd/hub" in [" ".join(x.split()) for x in lines]
    assert main(["bstack-pixel", "--file", path, "--api-key", "K"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["capabilities"]["bstack:options"]["accessKey"] == "***"
    assert shown["capabilities"]["appium:optionalIntentArguments"] == "--es braze_api_key K"
    assert "bs-secret" not in json.dumps(shown)
    assert main(["pixel9", "--file", path]) == 2
    assert "error: --braze-target: unknown target 'pixel9'" in capsys.readouterr().err
