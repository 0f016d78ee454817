"""Targets: where the suites run (the web demo, virtual SDK devices, or a real app through Appium).

The interface every target offers (the Appium adapter factory, `braze_harness.plugin.appium:appium_app`, relies on it):

    target.name            # "web", "android-virtual", "pixel7", … (the profile's name)
    target.kind            # "web" | "android-virtual" | "ios-virtual" | "fake" | "android-emulator" | "android-device"
                           # | "ios-simulator" | "ios-device" | "browserstack" | "saucelabs" | "remote"
    target.platform        # "web" | "android" | "ios" | "fake"
    target.appium_url      # str | None: the Appium server / grid / farm hub to use; None = start the local Appium server
                           # (always None for web and the virtual devices, which do not use Appium)
    target.app_id          # the Android package or iOS bundle id; None for web, the virtual devices and fake
    target.uses_appium     # True for fake and every real-app kind
    target.adapter         # "module:factory" the plugin builds the app adapter with, or None for the web demo
    target.capabilities(*, api_key: str | None = None, endpoint: str | None = None, ca_pem: Path | None = None) -> dict
                           # W3C capabilities for a new Appium session (`platformName`, `appium:*`, `bstack:options`, …):
                           # api_key/endpoint go to the app's debug hooks (launch arguments), ca_pem to `appium:customSSLCert`
                           # on the iOS simulator. Credentials are read from the environment here, never stored on the target.
                           # Raises TargetError for targets that are not driven by Appium.
    target.reset_commands() -> list[tuple[str, dict]]
                           # the `driver.execute_script(script, args)` calls that give a fresh anonymous Braze user in a
                           # running session (e.g. `("mobile: clearApp", {"appId": "com.example"})`); [] when the session
                           # itself resets the app (reset policy "session", the default, or "reinstall") or for fake
    target.launch_command(*, api_key=None, endpoint=None) -> tuple[str, dict] | None
                           # the `mobile:` call (re)starting the app WITH the debug-hook launch arguments inside a session
                           # (`mobile: startActivity` with extras / `mobile: launchApp` with arguments): run it after
                           # reset_commands(), since `mobile: activateApp` does not carry launch arguments
    target.locators        # Appium kinds: the profile's `locators` (braze_harness.devices.targets.locators.Locators) or None
    target.check_environment()   # raises TargetError if what the target needs at run time is missing (env credentials)

    redact_capabilities(caps) -> dict   # the same capabilities with credentials masked, for logs and reports
    shown_url(url) -> str               # a grid/farm URL with its `user:key@` masked

Built-in targets: `web` (default), `android-virtual`, `ios-virtual`, `fake`. More from a YAML file
(`--braze-targets-file`, default `braze-targets.yaml` in the rootdir): see `example-targets.yaml`.
Selected with `--braze-target NAME` (else the file's `default:`, else `web`); the plugin stores the target on
`config.braze_target` and serves it as the session fixture `braze_target`.
"""

from braze_harness.devices.targets.kinds import (
    FAKE_APP_XML,
    KINDS,
    AndroidDeviceTarget,
    AndroidEmulatorTarget,
    AndroidVirtualTarget,
    BrowserStackTarget,
    DebugHooks,
    FakeTarget,
    IosDeviceTarget,
    IosSimulatorTarget,
    IosVirtualTarget,
    RemoteTarget,
    SauceLabsTarget,
    Target,
    TargetError,
    WebTarget,
)
from braze_harness.devices.targets.loading import (
    DEFAULT_TARGET,
    DEFAULT_TARGETS_FILE,
    builtin_targets,
    default_targets_file,
    known_targets,
    load_targets_file,
    parse_target,
    read_targets_file,
    resolve_target,
)
from braze_harness.devices.targets.redaction import redact_capabilities, shown_url

__all__ = [
    "DEFAULT_TARGET",
    "DEFAULT_TARGETS_FILE",
    "FAKE_APP_XML",
    "KINDS",
    "AndroidDeviceTarget",
    "AndroidEmulatorTarget",
    "AndroidVirtualTarget",
    "BrowserStackTarget",
    "DebugHooks",
    "FakeTarget",
    "IosDeviceTarget",
    "IosSimulatorTarget",
    "IosVirtualTarget",
    "RemoteTarget",
    "SauceLabsTarget",
    "Target",
    "TargetError",
    "WebTarget",
    "builtin_targets",
    "default_targets_file",
    "known_targets",
    "load_targets_file",
    "parse_target",
    "read_targets_file",
    "redact_capabilities",
    "resolve_target",
    "shown_url",
]
