"""Taking an emulator push delivery to a real simulator or emulator: an `.apns` file for `xcrun simctl push`, or the
`adb shell am broadcast` that hands an FCM data message to the QA build's debug receiver; and the names both ends
agree on (the debug receiver's FCM routing action, Android's POST_NOTIFICATIONS permission).

A delivery is the JSON of one outbox entry (`{"id", "platform", "payload", ...}`, as `braze.push` and the control
API return it), so this works the same with an embedded or a remote emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from braze_harness.devices.tools import adb, simctl
from braze_harness.protocol.push import SIMULATOR_TARGET_KEY, PayloadError

# a debug-only exported receiver in the app re-routes this to BrazePushReceiver
FCM_ROUTING_ACTION = "firebase_messaging_service_routing_action"
# the runtime permission notifications need on Android 13+ (granted, revoked and re-granted through Appium or adb)
POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"


def _json(delivery: Mapping[str, Any] | Any) -> Mapping[str, Any]:
    return delivery.to_json() if hasattr(delivery, "to_json") else delivery


def write_apns_file(delivery: Mapping[str, Any] | Any, directory: str | Path, *, bundle_id: str) -> Path:
    """An `.apns` file for `xcrun simctl push <udid|booted> <file>` (the bundle is in `"Simulator Target Bundle"`)."""
    d = _json(delivery)
    if d["platform"] != "ios":
        raise PayloadError(f"delivery {d['id']} is a {d['platform']} push, not an APNs one")
    if not bundle_id:
        raise PayloadError("bundle_id is required (the app's bundle identifier, e.g. com.example.app)")
    payload = {k: v for k, v in d["payload"].items() if k != SIMULATOR_TARGET_KEY}
    path = Path(directory) / f"{d['id']}.apns"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return simctl.write_apns(payload, path, bundle_id=bundle_id)
    except ValueError as exc:
        raise PayloadError(str(exc)) from None


def simctl_push(
    delivery: Mapping[str, Any] | Any, directory: str | Path, *, bundle_id: str, udid: str = "booted"
) -> dict[str, Any]:
    """The delivery as an `.apns` file plus the `xcrun simctl push UDID BUNDLE FILE` argv that hands it to the app on
    an iOS simulator. Returns `{"file", "argv"}`."""
    path = write_apns_file(delivery, directory, bundle_id=bundle_id)
    return {"file": path, "argv": simctl.push(udid, bundle_id, path)}


def adb_broadcast(
    delivery: Mapping[str, Any] | Any,
    *,
    component: str | None = None,
    package: str | None = None,
    serial: str | None = None,
    action: str = FCM_ROUTING_ACTION,
) -> dict[str, Any]:
    """How an Android emulator gets this FCM data message without FCM: an `am broadcast` of the data as string extras
    to the QA build's exported debug receiver (`component`, e.g. `com.example.app/.debug.PushReceiver`, or just the
    app `package`), which hands the intent to `BrazePushReceiver.handleReceivedIntent`.
    Returns `{"action", "component", "package", "extras", "argv"}`."""
    d = _json(delivery)
    if d["platform"] != "android":
        raise PayloadError(f"delivery {d['id']} is a {d['platform']} push, not an FCM one")
    if not component and not package:
        raise PayloadError("give the receiver `component` (com.example.app/.debug.PushReceiver) or the app `package`")
    extras = {str(k): str(v) for k, v in d["payload"].items()}
    argv = adb.push_broadcast(extras, action=action, component=component, serial=serial)
    if package and not component:
        at = argv.index("-a") + 2  # after `-a ACTION` (the action word may also be an earlier argv item)
        argv[at:at] = ["-p", adb.package_name(package)]  # delivered to that app's receivers; `adb shell` re-parses it
    return {"action": action, "component": component, "package": package, "extras": extras, "argv": argv}
