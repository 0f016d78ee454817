"""`xcrun simctl` commands for iOS simulators, built as exact argv lists
(docs/mobile-wire.md, ios-apns, ios-simulator and a-fresh-anonymous-user).

run(add_root_cert("booted", "~/.mitmproxy/mitmproxy-ca-cert.pem"))   # trust the run's mitmproxy CA
run(push(udid, "com.example.app", write_apns(payload, tmp / "push.apns")))
sims = parse_devices(run(list_devices()))
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from braze_harness.devices.tools.runner import ToolError

XCRUN = "xcrun"
APNS_MAX_BYTES = 4096  # simctl push refuses larger payloads, like APNs
_UDID_RE = re.compile(r"^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|booted)$")
_BUNDLE_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PRIVACY_ACTIONS = ("grant", "revoke", "reset")


def simctl(*args: str) -> list[str]:
    return [XCRUN, "simctl", *args]


def _udid(udid: str) -> str:
    if not _UDID_RE.match(udid):
        raise ValueError(f"{udid!r} is not a simulator UDID (or 'booted')")
    return udid


def _bundle(bundle_id: str) -> str:
    if not _BUNDLE_RE.match(bundle_id):
        raise ValueError(f"{bundle_id!r} is not a bundle id like com.example.app")
    return bundle_id


def add_root_cert(udid: str, pem: str | Path) -> list[str]:
    """`simctl keychain UDID add-root-cert PEM`: the simulator trusts the CA (mitmproxy's) for every app."""
    return simctl("keychain", _udid(udid), "add-root-cert", str(Path(pem).expanduser()))


def push(udid: str, bundle_id: str, apns_file: str | Path) -> list[str]:
    """`simctl push UDID BUNDLE FILE.apns`: delivers a push to the app as if from APNs (no token needed)."""
    return simctl("push", _udid(udid), _bundle(bundle_id), str(apns_file))


def privacy(udid: str, action: str, service: str, bundle_id: str | None = None) -> list[str]:
    """`simctl privacy UDID grant|revoke|reset SERVICE [BUNDLE]`.

    Note: the services simctl documents are calendar, contacts, location, photos, microphone, motion, reminders,
    siri, media-library… (`xcrun simctl help privacy` lists them for your Xcode); push notifications may not be one,
    in which case use Appium's `appium:permissions` (the targets' ios-simulator profile does) or autoAcceptAlerts."""
    if action not in PRIVACY_ACTIONS:
        raise ValueError(f"{action!r}: expected one of {', '.join(PRIVACY_ACTIONS)}")
    if not re.fullmatch(r"[a-z-]+", service):
        raise ValueError(f"{service!r} is not a privacy service name")
    if action != "reset" and bundle_id is None:
        raise ValueError(f"privacy {action} needs a bundle id")
    return simctl("privacy", _udid(udid), action, service, *((_bundle(bundle_id),) if bundle_id else ()))


def grant_notifications(udid: str, bundle_id: str) -> list[str]:
    return privacy(udid, "grant", "notifications", bundle_id)


def boot(udid: str) -> list[str]:
    return simctl("boot", _udid(udid))


def bootstatus(udid: str) -> list[str]:
    """`simctl bootstatus UDID -b`: boots if needed and waits until the simulator has finished booting."""
    return simctl("bootstatus", _udid(udid), "-b")


def shutdown(udid: str) -> list[str]:
    return simctl("shutdown", _udid(udid))


def erase(udid: str) -> list[str]:
    """`simctl erase UDID`: every app and its data gone (the simulator must be shut down)."""
    if udid == "booted":
        raise ValueError("erase needs a UDID (and the simulator shut down), not 'booted'")
    return simctl("erase", _udid(udid))


def terminate(udid: str, bundle_id: str) -> list[str]:
    return simctl("terminate", _udid(udid), _bundle(bundle_id))


def uninstall(udid: str, bundle_id: str) -> list[str]:
    return simctl("uninstall", _udid(udid), _bundle(bundle_id))


def list_devices() -> list[str]:
    return simctl("list", "devices", "--json")


@dataclass(frozen=True)
class Simulator:
    udid: str
    name: str
    state: str  # Booted, Shutdown, …
    runtime: str  # com.apple.CoreSimulator.SimRuntime.iOS-17-5
    is_available: bool

    @property
    def os_version(self) -> str | None:
        """`iOS-17-5` → `17.5`."""
        match = re.search(r"\.([A-Za-z]+)-(\d+(?:-\d+)*)$", self.runtime)
        return match.group(2).replace("-", ".") if match else None

    @property
    def platform(self) -> str | None:
        match = re.search(r"\.([A-Za-z]+)-\d", self.runtime)
        return match.group(1) if match else None

    @property
    def booted(self) -> bool:
        return self.state == "Booted"


def parse_devices(output: str) -> list[Simulator]:
    """`simctl list devices --json` → simulators (udid, name, state, runtime, available)."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError as exc:
        raise ToolError(f"simctl list devices --json: not JSON ({exc.msg})") from None
    found = []
    for runtime, devices in (data.get("devices") or {}).items():
        for device in devices:
            found.append(
                Simulator(
                    udid=device["udid"],
                    name=device.get("name", ""),
                    state=device.get("state", "Unknown"),
                    runtime=runtime,
                    is_available=bool(device.get("isAvailable", True)),
                )
            )
    return found


def find_simulator(simulators: list[Simulator], name: str, os_version: str | None = None) -> Simulator:
    """The available simulator named `name` (and running iOS `os_version`), booted ones first."""
    matches = [s for s in simulators if s.name == name and s.is_available and (os_version is None or s.os_version == os_version)]
    if not matches:
        known = ", ".join(sorted({f"{s.name} ({s.os_version})" for s in simulators if s.is_available})) or "none"
        raise ToolError(f"no available simulator {name!r}{f' on iOS {os_version}' if os_version else ''}; available: {known}")
    return sorted(matches, key=lambda s: not s.booted)[0]


def write_apns(payload: dict[str, Any], path: str | Path, *, bundle_id: str | None = None) -> Path:
    """Writes a `.apns` file for `simctl push`: a JSON object with `aps`, at most 4096 bytes; `bundle_id` adds the
    top-level "Simulator Target Bundle" (then the bundle argument of `simctl push` may be omitted)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("aps"), dict):
        raise ValueError("an APNs payload is a JSON object with an `aps` dictionary")
    body = dict(payload)
    if bundle_id is not None:
        body["Simulator Target Bundle"] = _bundle(bundle_id)
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    if len(data) > APNS_MAX_BYTES:
        raise ValueError(f"APNs payload is {len(data)} bytes; the limit is {APNS_MAX_BYTES}")
    path = Path(path)
    path.write_bytes(data)
    return path
