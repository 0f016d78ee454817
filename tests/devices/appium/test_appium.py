"""The Appium plumbing with the real Appium 3 server and @appium/fake-driver on devices/appium/fake_app.xml.

One server for the module (it takes about 1.2 s to start); a new session per test (a few ms).
"""

from __future__ import annotations

import os
import socket
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from appium.webdriver.common.appiumby import AppiumBy
from braze_harness.devices.appium.adapter import FAKE_APP_XML, AppiumAdapter, AppiumAppError
from braze_harness.devices.appium.fake_os import FakeOsError
from braze_harness.devices.appium.screen import AppiumScreen, source_path
from braze_harness.devices.appium.server import (
    AppiumEndpoint,
    AppiumServer,
    AppiumServerError,
    AppiumSetupError,
    appium_binary,
    check_driver,
    free_port,
    status,
)
from braze_harness.devices.targets.locators import DIALECTS, Locator, Locators, PushReceiver, ScreenLocators
from braze_harness.errors import HarnessConfigError
from braze_harness.expect import ExpectationFailed
from braze_harness.plugin.appium import first_device_id
from braze_harness.protocol.push import PushMessage, apns_payload, fcm_data
from braze_harness.screens.base import IamView, ScreenTimeout
from selenium.common.exceptions import WebDriverException

from tests.support.paths import REPO

pytest_plugins = ["pytester"]

FAKE_CAPS = {"platformName": "Fake", "appium:automationName": "Fake", "appium:app": str(FAKE_APP_XML)}


@pytest.fixture(scope="module")
def appium_server(tmp_path_factory: pytest.TempPathFactory):
    with AppiumServer(log_path=tmp_path_factory.mktemp("appium") / "appium.log") as server:
        yield server


@pytest.fixture
def app(appium_server: AppiumServer):
    adapter = AppiumAdapter(appium_server, FAKE_CAPS, ready_timeout=5)
    adapter.launch()
    yield adapter
    adapter.close()


def _el(adapter: AppiumAdapter, element_id: str):
    return adapter.driver.find_element(AppiumBy.ID, element_id)


def _clicks(adapter: AppiumAdapter, element_id: str) -> int:
    return int(_el(adapter, element_id).get_attribute("clicks") or 0)


def _text(adapter: AppiumAdapter, element_id: str) -> str:
    return _el(adapter, element_id).text


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# ---------------------------------------------------------------------- the server


def test_server_answers_status_on_loopback_and_logs_to_its_file(appium_server: AppiumServer) -> None:
    assert appium_server.url == f"http://127.0.0.1:{appium_server.port}"
    value = status(appium_server.url)
    assert value["ready"] is True
    assert value["build"]["version"].startswith("3.")
    log = appium_server.log_path.read_text()
    assert f"listener started on http://127.0.0.1:{appium_server.port}" in log
    assert "\x1b[" not in log  # --log-no-colors: the log is readable as an artifact


def test_server_stops_with_its_node_process_and_frees_the_port(tmp_path: Path) -> None:
    server = AppiumServer(log_path=tmp_path / "a.log")
    with server:
        pid, port = server.pid, server.port
        assert pid is not None and not _gone(pid, 0.1)
    assert _gone(pid), f"appium (pid {pid}) still running after stop()"
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # nothing left in its process group either
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/status", timeout=2)
    server.stop()  # twice is fine
    assert server.pid is None


def test_a_busy_port_is_reported_with_the_log_tail(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = AppiumServer(port=port, log_path=tmp_path / "busy.log", startup_timeout=60)
        with pytest.raises(AppiumServerError, match=rf"port {port} on 127.0.0.1 is already in use") as info:
            server.start()
    assert "EADDRINUSE" in str(info.value)
    assert server.pid is None


def test_a_bad_port_number_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessConfigError, match="port must be 1-65535, not 70000"):
        AppiumServer(port=70000, log_path=tmp_path / "x.log").start()


def test_a_startup_timeout_names_the_log_and_kills_the_server(tmp_path: Path) -> None:
    started: list[int] = []

    class Watched(AppiumServer):  # the pid of the node it started (`pid` is None once stopped)
        def _wait_ready(self) -> None:
            assert self.process is not None
            started.append(self.process.pid)
            super()._wait_ready()

    server = Watched(log_path=tmp_path / "slow.log", startup_timeout=0.05)
    with pytest.raises(AppiumServerError, match=r"was not ready within 0.05 s .*slow\.log"):
        server.start()
    assert server.pid is None
    [pid] = started
    assert _gone(pid), f"appium (pid {pid}) still running after a startup timeout"
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # nor anything it spawned


def test_missing_node_or_appium_says_run_qa_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AppiumSetupError, match=r"appium is not installed in .*: run ./qa setup"):
        appium_binary(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no node on PATH
    with pytest.raises(AppiumSetupError, match=r"node is not installed .*run ./qa setup"):
        AppiumServer(log_path=tmp_path / "n.log").start()


def test_installed_drivers_and_the_missing_driver_message(appium_server: AppiumServer) -> None:
    drivers = appium_server.drivers()
    fake = check_driver("fake", drivers)  # Appium matches automationName case-insensitively
    assert (fake.name, fake.automation_name, fake.platform_names) == ("fake", "Fake", ("Fake",))
    assert fake.version == "6.2.4"
    appium_server.require_driver("Fake")
    with pytest.raises(AppiumSetupError) as info:
        appium_server.require_driver("UiAutomator2")
    message = str(info.value)
    assert "automationName 'UiAutomator2'" in message and "fake@6.2.4 (Fake)" in message
    assert message.endswith("node_modules/.bin/appium driver install uiautomator2")
    with pytest.raises(AppiumSetupError, match=r"node_modules/.bin/appium driver install xcuitest$"):
        check_driver("XCUITest", drivers)


def test_a_session_for_a_missing_driver_fails_with_the_install_command(appium_server: AppiumServer) -> None:
    adapter = AppiumAdapter(appium_server, {"platformName": "Android", "appium:automationName": "UiAutomator2"})
    with pytest.raises(AppiumSetupError, match=r"Could not find a driver .* driver install uiautomator2"):
        adapter.launch()
    adapter.close()


def test_remote_endpoint_only_checks_status(appium_server: AppiumServer) -> None:
    assert AppiumEndpoint.remote(appium_server.url + "/").url == appium_server.url
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(AppiumServerError, match=rf"at {dead} does not answer GET /status"):
        AppiumEndpoint.remote(dead, timeout=2)
    with pytest.raises(HarnessConfigError, match="must start with http"):
        AppiumEndpoint.remote("127.0.0.1:4723")


@pytest.mark.filterwarnings("ignore:Embedding username and password in URL:UserWarning")  # what this test is about
def test_url_credentials_of_a_grid_never_show_in_errors_or_reprs(appium_server: AppiumServer) -> None:
    dead = f"http://qa-user:s3cret-key@127.0.0.1:{free_port()}/wd/hub"
    with pytest.raises(AppiumServerError) as info:
        AppiumEndpoint.remote(dead, timeout=2)
    assert "s3cret" not in str(info.value) and "//***@127.0.0.1:" in str(info.value)
    live = AppiumEndpoint.remote(f"http://qa-user:s3cret-key@127.0.0.1:{appium_server.port}")
    assert "s3cret" not in repr(live)
    adapter = AppiumAdapter(live, {**FAKE_CAPS, "appium:app": "/nowhere/app.xml"})
    with pytest.raises(AppiumAppError, match=r"could not create a session at http://\*\*\*@127\.0\.0\.1") as failed:
        adapter.launch()  # the session request did carry the credentials: the server answered
    assert "s3cret" not in str(failed.value)
    adapter.close()


# ---------------------------------------------------------------------- the adapter on the fake app


def test_launch_opens_a_session_activates_the_app_and_waits_until_ready(app: AppiumAdapter) -> None:
    assert app.driver is not None and app.fake_os is not None
    assert app.fake_os.log == [("mobile: activateApp", {})]
    assert app.execute("mobile: queryAppState") == 4
    assert '<MockText id="sdk-ready">' in app.driver.page_source


def test_launch_waits_for_the_ready_locator_and_says_which(appium_server: AppiumServer) -> None:
    locators = Locators(ready=Locator(by="id", value="never-there"))
    adapter = AppiumAdapter(appium_server, FAKE_CAPS, locators=locators, ready_timeout=0.3)
    with pytest.raises(AppiumAppError, match=r"locators.ready \(id='never-there'\) within 0.3 s"):
        adapter.launch()
    adapter.close()


def test_login_types_the_user_id_and_taps_log_in(app: AppiumAdapter) -> None:
    assert app.login("ada-1") is None  # the UI cannot tell what changeUser answered
    assert _text(app, "user-id") == "ada-1"
    assert _clicks(app, "login") == 1
    app.login("bob")  # the field is cleared first
    assert (_text(app, "user-id"), _clicks(app, "login")) == ("bob", 2)
    app.logout()
    assert _clicks(app, "logout") == 1
    with pytest.raises(AppiumAppError, match="user id is empty"):
        app.login("")


def test_set_profile_fills_the_fields_and_saves(app: AppiumAdapter) -> None:
    app.set_profile(first_name="Ada", email="ada@example.com")
    assert (_text(app, "first-name"), _text(app, "email"), _clicks(app, "save-profile")) == ("Ada", "ada@example.com", 1)
    with pytest.raises(ValueError, match="unknown profile fields"):
        app.set_profile(nickname="x")
    with pytest.raises(HarnessConfigError, match=r"locators.profile_fields has no field for last_name"):
        app.set_profile(last_name="Lovelace")
    assert _clicks(app, "save-profile") == 1


def test_set_custom_attribute_types_json_and_the_kind(app: AppiumAdapter) -> None:
    app.set_custom_attribute("genre", "jazz")
    assert (_text(app, "attr-key"), _text(app, "attr-value"), _text(app, "attr-kind")) == ("genre", '"jazz"', "auto")
    app.set_custom_attribute("plays", 3, kind="increment")
    assert (_text(app, "attr-value"), _text(app, "attr-kind")) == ("3", "increment")
    app.set_custom_attribute("tags", ["a", "b"], kind="array")
    assert _text(app, "attr-value") == '["a","b"]'
    assert _clicks(app, "set-attribute") == 3
    with pytest.raises(ValueError, match="unknown attribute kind 'sometimes'"):
        app.set_custom_attribute("k", 1, kind="sometimes")  # type: ignore[arg-type]


def test_attribute_kinds_need_a_kind_control(appium_server: AppiumServer) -> None:
    adapter = AppiumAdapter(appium_server, FAKE_CAPS, locators=Locators(attribute_kind=None))
    with adapter:
        adapter.set_custom_attribute("genre", "jazz")  # auto: no kind control needed
        assert _clicks(adapter, "set-attribute") == 1
        with pytest.raises(HarnessConfigError, match=r"locators.attribute_kind is not set"):
            adapter.set_custom_attribute("plays", 1, kind="increment")


def test_log_event_and_purchase(app: AppiumAdapter) -> None:
    app.log_event("song_played", {"genre": "jazz"})
    assert (_text(app, "event-name"), _text(app, "event-props"), _clicks(app, "log-event")) == (
        "song_played",
        '{"genre":"jazz"}',
        1,
    )
    app.purchase("sku-1", 9.99, "EUR", 2, {"gift": True})
    assert [_text(app, i) for i in ("product-id", "price", "currency", "quantity", "purchase-props")] == [
        "sku-1",
        "9.99",
        "EUR",
        "2",
        '{"gift":true}',
    ]
    assert _clicks(app, "purchase") == 1


def test_flush_taps_the_debug_button(app: AppiumAdapter) -> None:
    app.flush()
    app.flush()
    assert _clicks(app, "flush") == 2


def test_flush_by_deep_link_and_without_any_hook(appium_server: AppiumServer) -> None:
    locators = Locators(flush_button=None, flush_deep_link="braze-demo://debug/flush")
    with AppiumAdapter(appium_server, FAKE_CAPS, locators=locators) as adapter:
        adapter.flush()
        assert adapter.fake_os is not None
        assert adapter.fake_os.log[-1] == ("mobile: deepLink", {"url": "braze-demo://debug/flush"})
        assert _clicks(adapter, "flush") == 1  # the element behind the deep link
    unflushable = AppiumAdapter(appium_server, FAKE_CAPS, locators=Locators(flush_button=None))
    with unflushable, pytest.raises(HarnessConfigError, match=r"flush_button and locators.flush_deep_link are both unset"):
        unflushable.flush()


def test_reset_commands_run_before_activation_and_wipe_the_app(appium_server: AppiumServer) -> None:
    reset = [("mobile: clearApp", {"appId": "com.example"}), ("mobile: deepLink", {"url": "braze-demo://debug/wipe"})]
    with AppiumAdapter(appium_server, FAKE_CAPS, reset_commands=reset) as adapter:
        assert adapter.fake_os is not None
        assert adapter.fake_os.commands() == ["mobile: clearApp", "mobile: deepLink", "mobile: activateApp"]
        assert _clicks(adapter, "wipe-data") == 1
        adapter.login("ada")
        adapter.reset()  # a fresh anonymous user mid-session
        assert _text(adapter, "user-id") == ""
        assert adapter.fake_os.commands()[-2:] == ["mobile: clearApp", "mobile: deepLink"]


def test_reload_is_terminate_then_activate_and_advance_time_backgrounds(app: AppiumAdapter) -> None:
    assert app.fake_os is not None
    app.login("ada")
    app.reload()
    assert app.fake_os.commands()[-2:] == ["mobile: terminateApp", "mobile: activateApp"]
    assert _text(app, "user-id") == "ada"  # a restart keeps the app's data
    started = time.monotonic()
    app.advance_time(12)
    assert time.monotonic() - started < 2  # the fake device does not wait; a real one would
    assert app.fake_os.log[-1] == ("mobile: backgroundApp", {"seconds": 12})
    assert app.execute("mobile: queryAppState") == 4  # back in the foreground


def test_real_drivers_get_the_mobile_commands_themselves(app: AppiumAdapter) -> None:
    """Without the FakeOs the commands go to the server as a real driver gets them (the fake driver refuses them)."""
    app.fake_os = None
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: backgroundApp'"):
        app.advance_time(3)
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: terminateApp'"):
        app.reload()
    assert app.execute("fake: addition", {"num1": 2, "num2": 3}) == 5  # other execute methods pass through
    # a target's launch command (it carries the launch arguments) replaces activateApp after a reset
    app.launch_command = ("mobile: startActivity", {"component": "com.example/.Main", "extras": [["s", "k", "v"]]})
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: startActivity'"):
        app.launch()


def test_close_quits_the_session_and_is_safe_twice(appium_server: AppiumServer) -> None:
    adapter = AppiumAdapter(appium_server, FAKE_CAPS)
    adapter.launch()
    session_id = adapter.driver.session_id
    assert httpx.get(f"{appium_server.url}/session/{session_id}/source", timeout=5).status_code == 200
    adapter.close()
    adapter.close()
    assert adapter.driver is None
    gone = httpx.get(f"{appium_server.url}/session/{session_id}/source", timeout=5)
    assert (gone.status_code, gone.json()["value"]["error"]) == (404, "invalid session id")


def test_device_id_is_none_until_the_emulator_saw_the_app(lab) -> None:
    key = lab.api_key("android")
    adapter = AppiumAdapter("http://127.0.0.1:9", FAKE_CAPS, device_id_source=lambda: first_device_id(lab, key))
    assert adapter.device_id is None
    other = lab.device("android", api_key=lab.api_key("ios"))  # another app in the same scope
    other.open_session()
    other.request_immediate_data_flush()
    assert adapter.device_id is None
    phone = lab.device("android")
    phone.open_session()
    phone.request_immediate_data_flush()
    lab.expect.session_start(device=phone.device_id).within(5)
    assert adapter.device_id == phone.device_id


# ---------------------------------------------------------------------- the screen on the fake app


def test_screen_reads_the_in_app_message(app: AppiumAdapter) -> None:
    screen = app.screen
    assert screen.wait_iam(1) == IamView(
        kind="modal", header="Welcome back", message="Your cart is waiting", buttons=["Open cart", "Later"]
    )
    assert screen.iam_count() == 1
    gone = r"(?s)^Expected within 0.3 s: no in-app message displayed .*Waited 0\.3\d s\."
    with pytest.raises(ScreenTimeout, match=gone) as failed:
        screen.wait_no_iam(0.3)
    assert isinstance(failed.value, ExpectationFailed)  # the expect DSL's one failure
    assert "Last seen:\n  on screen: 1 in-app message(s)" in str(failed.value)


def test_screen_taps_the_in_app_message(app: AppiumAdapter) -> None:
    screen = app.screen
    screen.click_iam_button(1)
    screen.click_iam()
    screen.close_iam()
    assert [_clicks(app, i) for i in ("iam-button-0", "iam-button-1", "iam", "iam-close")] == [0, 1, 1, 1]
    with pytest.raises(ScreenTimeout, match="has 2 button"):
        screen.click_iam_button(2)


def test_screen_content_cards(app: AppiumAdapter) -> None:
    screen = app.screen
    screen.open_cards()
    assert _clicks(app, "show-cards") == 1
    assert screen.card_ids() == ["card-a", "card-b"]
    assert screen.wait_cards(["card-a", "card-b"], 1) == ["card-a", "card-b"]
    with pytest.raises(ScreenTimeout, match=r"(?s)the feed showing cards \['card-a'\] .*cards \['card-a', 'card-b'\]"):
        screen.wait_cards(["card-a"], 0.3)
    screen.click_card("card-b")
    screen.dismiss_card("card-a")
    assert (_clicks(app, "card-b"), _clicks(app, "card-a-dismiss"), _clicks(app, "card-b-dismiss")) == (1, 1, 0)
    with pytest.raises(ScreenTimeout, match="dismiss_card"):
        screen.dismiss_card("card-zz")


def test_screen_banners_flag_gate_and_flush(app: AppiumAdapter) -> None:
    screen = app.screen
    assert screen.wait_banner("home", "b1", 1) == "Free shipping this week Shop"
    assert screen.wait_banner("sidebar", None, 1) == ""
    with pytest.raises(ScreenTimeout, match=r"(?s)placement 'home' showing nothing .* shows \['b1'\]"):
        screen.wait_banner("home", None, 0.3)
    with pytest.raises(ScreenTimeout, match="showing banner 'b2'"):
        screen.wait_banner("home", "b2", 0.3)
    screen.click_banner_button("home", "shop")
    assert _clicks(app, "banner-home-shop") == 1
    screen.wait_flag_gate(False, 1)  # visible="false" in the app
    with pytest.raises(ScreenTimeout, match="the flag-gated element visible"):
        screen.wait_flag_gate(True, 0.3)
    screen.flush()
    assert _clicks(app, "flush") == 1


def test_page_source_paths_per_platform_dialect() -> None:
    """What a UiAutomator2 / XCUITest page source looks like to the reader (attribute names per platform)."""
    android = ET.fromstring(
        '<hierarchy><android.widget.FrameLayout resource-id="com.x:id/iam" displayed="true">'
        '<android.widget.TextView resource-id="com.x:id/h" text="Hi" displayed="true"/>'
        '<android.widget.Button content-desc="cta" text="Go" displayed="false"/>'
        "</android.widget.FrameLayout></hierarchy>"
    )
    d = DIALECTS["android"]
    (iam,) = android.findall(source_path(Locator(by="id", value="com.x:id/iam"), d))
    (header,) = iam.findall(source_path(Locator(by="id", value="com.x:id/h"), d))
    (button,) = iam.findall(source_path(Locator(by="accessibility id", value="cta"), d))
    assert (d.text(header), d.is_visible(header), d.text(button), d.is_visible(button)) == ("Hi", True, "Go", False)
    assert len(android.findall(source_path(Locator(by="class name", value="android.widget.TextView"), d))) == 1
    ios = ET.fromstring('<AppiumAUT><XCUIElementTypeStaticText name="h" label="Hello" visible="true"/></AppiumAUT>')
    (node,) = ios.findall(source_path(Locator(by="accessibility id", value="h"), DIALECTS["ios"]))
    assert DIALECTS["ios"].text(node) == "Hello"
    with pytest.raises(HarnessConfigError, match="cannot be read from the page source"):
        source_path(Locator(by="-android uiautomator", value="new UiSelector()"), d)


def test_screen_locators_are_configurable(app: AppiumAdapter) -> None:
    locators = ScreenLocators(iam=Locator(by="xpath", value="//MockView[@kind='modal']"), iam_kind_attribute=None)
    screen = AppiumScreen(app.driver, locators, dialect="fake")
    assert screen.wait_iam(1).kind == "unknown"
    with pytest.raises(HarnessConfigError, match="no flush hook"):
        screen.flush()


# ---------------------------------------------------------------------- the locator model


def test_locators_load_from_yaml_and_report_every_bad_field(tmp_path: Path) -> None:
    good = tmp_path / "app.yaml"
    good.write_text(
        textwrap.dedent(
            """\
            login_field: {by: id, value: "com.example:id/user"}
            login_button: {by: accessibility id, value: Log in}
            profile_fields:
              first_name: {by: id, value: "com.example:id/first"}
            flush_button: null
            flush_deep_link: "example://debug/braze-flush"
            screen:
              card_id_attribute: content-desc
            """
        )
    )
    locators = Locators.load(good)
    assert locators.login_field == Locator(by="id", value="com.example:id/user")
    assert locators.flush_button is None and locators.screen.card_id_attribute == "content-desc"
    # left out: the app has no such control; with defaults="fake", fake_app.xml's ids
    assert (locators.ready, locators.purchase_button, locators.profile_fields.keys()) == (None, None, {"first_name"})
    assert Locators.load(good, defaults="fake").purchase_button == Locator(by="id", value="purchase")
    with pytest.raises(HarnessConfigError, match=r"^locators: login_field: Field required; login_button: Field required$"):
        Locators.load({"flush_deep_link": "x://y"})

    with pytest.raises(HarnessConfigError) as info:
        Locators.load(
            {
                "login_field": {"by": "idd", "value": "x"},
                "login_button": {"by": "id"},
                "logn_field": {"by": "id", "value": "x"},
                "profile_fields": {"nickname": {"by": "id", "value": "n"}},
                "screen": {"card": {"by": "-android uiautomator", "value": "x"}},
            },
            name="target pixel locators",
        )
    message = str(info.value)
    assert message.startswith("target pixel locators: ")
    for part in (
        "login_field.by: Input should be 'id'",
        "login_button.value: Field required",
        "logn_field: Extra inputs are not permitted",
        "profile_fields: Value error, unknown profile field(s) nickname",
        "screen.card: Value error, read from the page source",
    ):
        assert part in message
    assert "\n" not in message

    (tmp_path / "bad.yaml").write_text("login_field: {by: id, value: [")
    with pytest.raises(HarnessConfigError, match=r"bad.yaml is not valid YAML"):
        Locators.load(tmp_path / "bad.yaml")
    with pytest.raises(HarnessConfigError, match="cannot read"):
        Locators.load(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(HarnessConfigError, match="expected a mapping"):
        Locators.load(tmp_path / "list.yaml")


def test_locator_placeholders() -> None:
    banner = Locator(by="xpath", value="//*[@placement='{placement}']")
    assert banner.format(placement="home").value == "//*[@placement='home']"
    with pytest.raises(HarnessConfigError, match="holds a quote"):
        banner.format(placement="it's")
    with pytest.raises(HarnessConfigError, match="placeholder it is not given"):
        banner.format(card_id="c")


# ---------------------------------------------------------------------- through the plugin: --braze-target fake

PLUGIN_TEST = """
import os
import pytest
from appium.webdriver.common.appiumby import AppiumBy


def test_the_fake_app_through_the_plugin(braze, braze_app, braze_appium_server):
    assert braze_appium_server.url.startswith("http://127.0.0.1:")
    with open(os.environ["APPIUM_PID_FILE"], "w") as pid_file:
        pid_file.write(str(braze_appium_server.pid))
    braze_app.launch()
    braze_app.login(braze.uid("ada"))
    assert braze_app.driver.find_element(AppiumBy.ID, "user-id").text == braze.uid("ada")
    assert braze_app.fake_os.commands() == ["mobile: activateApp"]
    assert braze_app.device_id is None  # the fake app sends nothing
    assert braze_app.screen.card_ids() == ["card-a", "card-b"]


def test_a_failure_saves_what_the_app_shows(braze_app):
    braze_app.launch()
    braze_app.login("someone")
    assert False, "on purpose"


@pytest.mark.braze_app(session_timeout=10)
def test_sdk_options_of_the_web_demo_are_ignored(braze_app):
    braze_app.launch()


@pytest.mark.braze_app(colour="blue")
def test_unknown_option(braze_app):
    pass
"""


def test_the_plugin_runs_the_fake_target_on_its_own_appium_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("PYTEST_XDIST") or name in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"):
            monkeypatch.delenv(name, raising=False)
    pid_file = pytester.path / "appium.pid"
    monkeypatch.setenv("APPIUM_PID_FILE", str(pid_file))
    pytester.makepyfile(test_fake_target=PLUGIN_TEST)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", "--braze-target", "fake", "--output", "out", timeout=120
    )
    result.assert_outcomes(passed=2, failed=1, errors=1)  # a config error at setup: one line
    result.stdout.fnmatch_lines(["*Appium (saved in *appium-page-source.xml, appium-screenshot.png, appium-fake-os.txt*"])
    folder = pytester.path / "out" / "test-fake-target-py-test-a-failure-saves-what-the-app-shows"
    assert '<MockInputField id="user-id"' in (folder / "appium-page-source.xml").read_text()
    assert (folder / "appium-screenshot.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "appium-fake-os.txt").read_text() == "mobile: activateApp {}\n"
    assert "POST /session" in (folder / "appium-server.log").read_text()
    result.stdout.fnmatch_lines(["*braze configuration error: appium app: unknown option(s) colour; known: locators*"])
    assert "listener started on http://127.0.0.1:" in (pytester.path / "out" / "appium-server.log").read_text()
    assert _gone(int(pid_file.read_text())), "the plugin left its Appium server running"


def test_the_documented_example_locators_load() -> None:
    locators = Locators.load(REPO / "devices" / "appium" / "example-locators.yaml")
    assert locators.flush_button is None and locators.flush_deep_link == "shop-qa://debug/braze/flush"
    assert locators.purchase_button is not None and locators.purchase_button.by == "-android uiautomator"
    assert locators.screen.card_by_id.format(card_id="c-1") == Locator(by="accessibility id", value="c-1")


# ---------------------------------------------------------------------- push: the mobile: commands per platform

ANDROID_CAPS = {"platformName": "Android", "appium:automationName": "UiAutomator2"}
IOS_CAPS = {"platformName": "iOS", "appium:automationName": "XCUITest"}
SHOP = "com.example.shop"
RECEIVER = "com.example.shop/.debug.PushInjectReceiver"
RESTOCK = PushMessage(
    title="Back in stock", body="Your sneakers", campaign_id="restock", uri="myapp://deal/7", extra={"sku": "7"}
)


def _on_phone(fake: AppiumAdapter, caps: dict, **kwargs) -> AppiumAdapter:
    """An adapter built for a real Android/iOS driver, driven through the fake app's session and its FakeOs: the
    `mobile:` commands it builds are what UiAutomator2/XCUITest would get."""
    adapter = AppiumAdapter(fake.endpoint, caps, app_id=SHOP, **kwargs)
    adapter.driver, adapter.fake_os = fake.driver, fake.fake_os
    return adapter


def _delivery(platform: str, payload: dict, delivery_id: str = "d-1") -> dict:
    return {"id": delivery_id, "platform": platform, "campaign_id": "restock", "device_id": "dev-1", "payload": payload}


def _after_launch(app: AppiumAdapter) -> list:
    assert app.fake_os is not None
    return app.fake_os.log[1:]  # after launch()'s activateApp


def test_fake_app_enable_push_accepts_the_prompt_and_unregister_taps(app: AppiumAdapter) -> None:
    assert app.enable_push() is None  # the app does not show the token
    assert _clicks(app, "push-enable") == 1
    app.unregister_push()  # a click fails while an alert is open: the prompt was accepted
    assert _clicks(app, "push-unregister") == 1
    assert _after_launch(app) == []  # the fake device has no OS permission to set
    with pytest.raises(AppiumAppError, match=r"cannot be turned off by a command on this fake device"):
        app.disable_push_in_os()


def test_push_controls_missing_from_the_locators(appium_server: AppiumServer) -> None:
    locators = Locators(push_enable=None, push_unregister=None)
    with AppiumAdapter(appium_server, FAKE_CAPS, locators=locators) as adapter:
        with pytest.raises(HarnessConfigError, match=r"^locators.push_unregister is not set: the app has no control calling"):
            adapter.unregister_push()
        with pytest.raises(HarnessConfigError, match=r"^locators.push_enable is not set: on this fake device the app's"):
            adapter.enable_push()


def test_android_enable_and_disable_push_change_post_notifications(app: AppiumAdapter) -> None:
    android = _on_phone(app, ANDROID_CAPS)
    android.enable_push()
    grant = {"permissions": ["android.permission.POST_NOTIFICATIONS"], "appPackage": SHOP, "action": "grant"}
    assert _after_launch(app) == [("mobile: changePermissions", grant)]
    assert _clicks(app, "push-enable") == 1
    android.unregister_push()  # the app's prompt (W3C accept alert on UiAutomator2) did not block the next tap
    assert app.fake_os is not None and app.fake_os.permissions == {SHOP: {"android.permission.POST_NOTIFICATIONS": "granted"}}
    android.disable_push_in_os()
    assert app.fake_os.log[-1] == ("mobile: changePermissions", {**grant, "action": "revoke"})
    assert app.fake_os.permissions[SHOP]["android.permission.POST_NOTIFICATIONS"] == "revoked"
    assert app.execute("mobile: queryAppState") == 1  # Android kills the app when a runtime permission is revoked
    no_package = AppiumAdapter(app.endpoint, ANDROID_CAPS)
    no_package.driver, no_package.fake_os = app.driver, app.fake_os
    with pytest.raises(HarnessConfigError, match=r"^push needs the app's id: the target's app_package is not set$"):
        no_package.enable_push()


def test_android_open_push_broadcasts_the_fcm_data_and_taps_the_notification(app: AppiumAdapter) -> None:
    android = _on_phone(app, ANDROID_CAPS, locators=Locators(push_receiver=PushReceiver(component=RECEIVER)))
    data = fcm_data(RESTOCK)
    opened = android.open_push(_delivery("android", data))
    assert opened == {
        "id": "d-1",
        "platform": "android",
        "title": "Back in stock",
        "body": "Your sneakers",
        "campaign_id": "restock",
    }
    assert _after_launch(app) == [
        (
            "mobile: broadcast",
            {
                "action": "firebase_messaging_service_routing_action",
                "component": RECEIVER,
                "extras": [
                    ["s", "_ab", "true"],
                    ["s", "t", "'Back in stock'"],  # adb shell re-parses the line on the device: quoted
                    ["s", "a", "'Your sneakers'"],
                    ["s", "cid", "restock"],
                    ["s", "uri", "myapp://deal/7"],
                    ["s", "ab_use_webview", "false"],
                    ["s", "extra", """'{"sku":"7"}'"""],
                ],
            },
        ),
        ("mobile: openNotifications", {}),
    ]
    assert app.fake_os is not None
    [received] = app.fake_os.notifications
    assert received.data == data and received.opened  # what the app's receiver got is the FCM data, intact
    assert _clicks(app, "notification") == 1
    assert app.execute("mobile: queryAppState") == 4  # the tap brought the app to the foreground


def test_android_open_push_without_a_component_names_the_package_and_errors(app: AppiumAdapter) -> None:
    android = _on_phone(app, ANDROID_CAPS, locators=Locators(push_receiver=PushReceiver(action="com.example.shop.DEBUG_PUSH")))
    android.notification_timeout = 0.3
    android.open_push(_delivery("android", fcm_data(RESTOCK)))
    assert app.fake_os is not None
    name, args = app.fake_os.log[-2]
    assert (name, args["action"], args["package"], "component" in args) == (
        "mobile: broadcast",
        "com.example.shop.DEBUG_PUSH",
        SHOP,
        False,
    )
    flash = fcm_data(PushMessage(title="Flash sale", body="Today only"))
    with pytest.raises(
        AppiumAppError, match=r"no notification titled 'Flash sale' within 0.3 s \(locators.push_notification: xpath="
    ):
        android.open_push(_delivery("android", flash))  # delivered, but the fake app only shows "Back in stock"
    with pytest.raises(AppiumAppError, match=r"^delivery d-9 is a ios push: this app runs on android$"):
        android.open_push(_delivery("ios", apns_payload(RESTOCK), "d-9"))
    with pytest.raises(HarnessConfigError, match=r"^locators.push_receiver is not set: an Android push reaches the app"):
        _on_phone(app, ANDROID_CAPS).open_push(_delivery("android", fcm_data(RESTOCK)))
    sent = len(app.fake_os.log)
    with pytest.raises(HarnessConfigError, match=r"cannot put .* into the xpath locator .* holds a quote"):
        android.open_push(_delivery("android", fcm_data(PushMessage(title="It's back"))))
    assert len(app.fake_os.log) == sent  # refused before anything reached the phone


def test_the_fake_device_shell_splits_unquoted_broadcast_extras(app: AppiumAdapter) -> None:
    with pytest.raises(FakeOsError, match=r"extra 't' = 'Back in stock' would reach the app as 3 shell words"):
        app.execute("mobile: broadcast", {"action": "a.b", "extras": [["s", "_ab", "true"], ["s", "t", "Back in stock"]]})
    with pytest.raises(FakeOsError, match=r"type of"):
        app.execute("mobile: broadcast", {"action": "a.b", "extras": [["x", "k", "v"]]})
    assert app.fake_os is not None and app.fake_os.notifications == []


def test_ios_simulator_enable_disable_and_open_push(app: AppiumAdapter) -> None:
    ios = _on_phone(app, IOS_CAPS, ios_simulator=True)
    ios.enable_push()
    assert _after_launch(app) == [
        ("mobile: setPermission", {"bundleId": SHOP, "access": {"notifications": "yes"}}),
        ("mobile: alert", {"action": "accept"}),  # the prompt the fake app always shows; a simulator shows none
    ]
    ios.disable_push_in_os()
    assert app.fake_os is not None
    assert app.fake_os.log[-1] == ("mobile: setPermission", {"bundleId": SHOP, "access": {"notifications": "no"}})
    assert app.fake_os.permissions == {SHOP: {"notifications": "no"}}
    payload = apns_payload(RESTOCK, bundle_id="com.other.app")
    opened = ios.open_push(_delivery("ios", payload))
    assert opened["title"] == "Back in stock" and opened["campaign_id"] == "restock"
    apns = {k: v for k, v in payload.items() if k != "Simulator Target Bundle"}  # the driver adds the app's own
    assert app.fake_os.log[-2:] == [
        ("mobile: backgroundApp", {"seconds": -1}),  # no banner for an app in the foreground: on the home screen
        ("mobile: pushNotification", {"bundleId": SHOP, "payload": apns}),
    ]
    assert app.execute("mobile: queryAppState") == 4  # the tap on the banner opened the app
    assert app.fake_os.notifications[0].data["Simulator Target Bundle"] == SHOP
    assert _clicks(app, "notification") == 1
    # the banner was looked up in the springboard, then the app is the active application again
    assert app.driver.get_settings()["defaultActiveApplication"] == "auto"
    with pytest.raises(AppiumAppError, match=r"is a android push: this app runs on ios"):
        ios.open_push(_delivery("android", fcm_data(RESTOCK)))


def test_a_real_iphone_has_no_simulated_push_and_accepts_the_prompt(app: AppiumAdapter) -> None:
    iphone = _on_phone(app, IOS_CAPS, ios_simulator=False)
    iphone.enable_push()  # no setPermission on a device: the app's prompt is accepted
    assert _after_launch(app) == [("mobile: alert", {"action": "accept"})]
    with pytest.raises(AppiumAppError, match=r"^a real iOS device cannot receive a simulated push \(mobile: pushNotification is"):
        iphone.open_push(_delivery("ios", apns_payload(RESTOCK)))
    with pytest.raises(
        AppiumAppError, match=r"cannot be turned off by a command on this iOS device: only by hand in its Settings"
    ):
        iphone.disable_push_in_os()
    assert _after_launch(app) == [("mobile: alert", {"action": "accept"})]  # nothing more was sent
    # no prompt at all (already authorized): enable_push waits prompt_timeout for one, then carries on
    iphone.locators = Locators(push_enable=Locator(by="id", value="push-unregister"))
    iphone.prompt_timeout = 0.5
    started = time.monotonic()
    iphone.enable_push()
    assert 0.4 < time.monotonic() - started < 3
    assert _clicks(app, "push-unregister") == 1


def test_ios_of_unknown_kind_takes_the_drivers_simulator_only_answer(app: AppiumAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    """A farm/grid iOS target (ios_simulator None): XCUITest's answer on a real device says what it is."""
    farm = _on_phone(app, IOS_CAPS)
    sent: list[str] = []

    def real_device(script: str, args: dict | None = None):
        sent.append(script)
        if script in ("mobile: setPermission", "mobile: pushNotification"):
            what = "Setting permissions" if script.endswith("setPermission") else "Push notification"
            raise WebDriverException(f"An unknown server-side error occurred: {what} can only be performed on Simulator")
        return app.fake_os.execute(script, args)  # type: ignore[union-attr]

    monkeypatch.setattr(farm, "execute", real_device)
    farm.enable_push()
    assert sent == ["mobile: setPermission", "mobile: alert"]
    with pytest.raises(AppiumAppError, match=r"^a real iOS device cannot receive a simulated push"):
        farm.open_push(_delivery("ios", apns_payload(RESTOCK)))
    with pytest.raises(AppiumAppError, match=r"cannot be turned off by a command on this iOS target"):
        farm.disable_push_in_os()


def test_open_push_without_a_delivery_takes_the_latest_waiting(app: AppiumAdapter) -> None:
    receiver = Locators(push_receiver=PushReceiver(component=RECEIVER))
    with pytest.raises(AppiumAppError, match=r"^open_push\(\) needs the delivery here"):
        _on_phone(app, ANDROID_CAPS, locators=receiver).open_push()
    outbox: dict[str, list] = {"dev-1": []}
    android = _on_phone(
        app, ANDROID_CAPS, locators=receiver, push_source=lambda device_id: outbox[device_id], device_id_source=lambda: None
    )
    with pytest.raises(AppiumAppError, match=r"the emulator has not seen this app yet"):
        android.open_push()
    android.device_id_source = lambda: "dev-1"
    with pytest.raises(AppiumAppError, match=r"no push is waiting for device dev-1"):
        android.open_push()
    outbox["dev-1"] = [
        _delivery("android", fcm_data(PushMessage(title="Old", body="x")), "d-0"),
        _delivery("android", fcm_data(RESTOCK)),
    ]
    assert android.open_push()["id"] == "d-1"


def test_real_drivers_get_the_push_commands_themselves(app: AppiumAdapter) -> None:
    android = _on_phone(app, ANDROID_CAPS, locators=Locators(push_receiver=PushReceiver(component=RECEIVER)))
    android.fake_os = None
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: changePermissions'"):
        android.enable_push()
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: broadcast'"):
        android.open_push(_delivery("android", fcm_data(RESTOCK)))
    ios = _on_phone(app, IOS_CAPS, ios_simulator=True)
    ios.fake_os = None
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: setPermission'"):
        ios.disable_push_in_os()
    with pytest.raises(WebDriverException, match="Unsupported execute method 'mobile: backgroundApp'"):
        ios.open_push(_delivery("ios", apns_payload(RESTOCK)))  # the first of backgroundApp, pushNotification


def test_push_locators_load_and_name_a_bad_receiver(tmp_path: Path) -> None:
    locators = Locators.load(REPO / "devices" / "appium" / "example-locators.yaml")
    assert locators.push_receiver == PushReceiver(action="com.example.shop.DEBUG_PUSH", component=RECEIVER)
    assert locators.push_notification is None and locators.push_enable is not None
    base = {"login_field": {"by": "id", "value": "a"}, "login_button": {"by": "id", "value": "b"}}
    bare = Locators.load(base)
    assert (bare.push_enable, bare.push_unregister, bare.push_receiver) == (None, None, None)
    assert PushReceiver().action == "firebase_messaging_service_routing_action"
    with pytest.raises(HarnessConfigError, match=r"^locators: push_receiver.component: String should match pattern"):
        Locators.load({**base, "push_receiver": {"component": "not a component"}})
    predicate = Locator(by="-ios predicate string", value="label CONTAINS '{title}'")
    assert predicate.format(title="Back in stock").value == "label CONTAINS 'Back in stock'"
    with pytest.raises(HarnessConfigError, match="holds a quote"):
        predicate.format(title="It's back")


def test_permission_answers_of_older_androids_and_a_simulator_without_applesimutils(
    app: AppiumAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    android = _on_phone(app, ANDROID_CAPS)

    def old_android(script: str, args: dict | None = None):
        if script == "mobile: changePermissions":  # what `pm grant` answers on Android 12 (no such runtime permission)
            raise WebDriverException(f"Unknown permission: android.permission.POST_NOTIFICATIONS ({args})")
        return app.fake_os.execute(script, args)  # type: ignore[union-attr]

    monkeypatch.setattr(android, "execute", old_android)
    android.enable_push()  # notifications are on by default there: the app's control is still tapped
    assert _clicks(app, "push-enable") == 1
    with pytest.raises(AppiumAppError, match=r"^POST_NOTIFICATIONS cannot be revoked here \(Android < 13 or targetSdk < 33\)"):
        android.disable_push_in_os()

    simulator = _on_phone(app, IOS_CAPS, ios_simulator=True)

    def no_applesimutils(script: str, args: dict | None = None):
        raise WebDriverException("'applesimutils' binary has not been found in your PATH")

    monkeypatch.setattr(simulator, "execute", no_applesimutils)
    with pytest.raises(AppiumSetupError, match=r"needs applesimutils on the Appium host: brew tap wix/brew && brew install"):
        simulator.enable_push()
