"""`adb` commands for Android emulators and phones, built as exact argv lists
(docs/mobile-wire.md, debug-push-receiver, android-emulator, real-devices and a-fresh-anonymous-user).

    run(set_global_proxy("10.0.2.2", 8080, serial="emulator-5554"))   # the emulator's traffic → mitmproxy on the host
    run(pm_clear("com.example.app", serial=s))                         # a fresh anonymous Braze user (new device_id)
    run(broadcast("com.example.qa.PUSH", component="com.example.app/.debug.PushReceiver", extras={"t": "Hi"}))
    devices = parse_devices(run(list_devices()))

`adb shell` joins its arguments into one command line that the device's shell parses again, so every value given
to a shell command is quoted with `shlex.quote` here: a push body with spaces or quotes arrives intact.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from braze_harness.devices.tools.runner import ToolError

ADB = "adb"
USER_CA_DIR = "/data/misc/user/0/cacerts-added"
_SERIAL_RE = re.compile(r"^[A-Za-z0-9._:-]+$")
_PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
_EXTRA_KEY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_PROP_RE = re.compile(r"^[a-z_]+:\S*$")


def adb(*args: str, serial: str | None = None, adb_path: str = ADB) -> list[str]:
    """`adb [-s SERIAL] ARGS…` (without -s adb picks the only device, or fails when there are several)."""
    if serial is not None and not _SERIAL_RE.match(serial):
        raise ValueError(f"{serial!r} is not an adb serial (e.g. emulator-5554, R5CT12345AB, 192.168.1.20:5555)")
    return [adb_path, *(("-s", serial) if serial else ()), *args]


def shell(*args: str, serial: str | None = None, adb_path: str = ADB) -> list[str]:
    return adb("shell", *args, serial=serial, adb_path=adb_path)


def _port(port: int) -> int:
    if not 0 < int(port) < 65536:
        raise ValueError(f"{port} is not a TCP port")
    return int(port)


def package_name(package: str) -> str:
    if not _PACKAGE_RE.match(package):
        raise ValueError(f"{package!r} is not an Android package name like com.example.app")
    return package


def set_global_proxy(host: str, port: int, *, serial: str | None = None) -> list[str]:
    """`settings put global http_proxy HOST:PORT`: every app's HttpURLConnection (Braze's) uses it. On an emulator the
    host's loopback is 10.0.2.2; on a USB phone use 127.0.0.1 with `reverse(8080)`."""
    if not re.match(r"^[A-Za-z0-9.-]+$", host):
        raise ValueError(f"{host!r} is not a host name or IPv4 address")
    return shell("settings", "put", "global", "http_proxy", f"{host}:{_port(port)}", serial=serial)


def clear_global_proxy(*, serial: str | None = None) -> list[str]:
    """`settings put global http_proxy :0` (the documented way to turn it off without a reboot)."""
    return shell("settings", "put", "global", "http_proxy", ":0", serial=serial)


def get_global_proxy(*, serial: str | None = None) -> list[str]:
    return shell("settings", "get", "global", "http_proxy", serial=serial)


def pm_clear(package: str, *, serial: str | None = None) -> list[str]:
    """`pm clear PKG`: wipes the app's data (Braze's device_id with it) and its runtime permissions."""
    return shell("pm", "clear", package_name(package), serial=serial)


def grant(package: str, permission: str = "android.permission.POST_NOTIFICATIONS", *, serial: str | None = None) -> list[str]:
    """`pm grant PKG PERMISSION` (push on Android 13+ after a `pm clear`)."""
    return shell("pm", "grant", package_name(package), permission, serial=serial)


def reverse(device_port: int, host_port: int | None = None, *, serial: str | None = None) -> list[str]:
    """`reverse tcp:P tcp:P`: the device's 127.0.0.1:P reaches the host's P (USB phones, no Wi-Fi proxy needed)."""
    return adb("reverse", f"tcp:{_port(device_port)}", f"tcp:{_port(host_port or device_port)}", serial=serial)


def reverse_remove(device_port: int, *, serial: str | None = None) -> list[str]:
    return adb("reverse", "--remove", f"tcp:{_port(device_port)}", serial=serial)


def wait_for_device(*, serial: str | None = None) -> list[str]:
    return adb("wait-for-device", serial=serial)


def boot_completed(*, serial: str | None = None) -> list[str]:
    """`getprop sys.boot_completed`: prints 1 once Android has booted (wait-for-device only waits for adbd)."""
    return shell("getprop", "sys.boot_completed", serial=serial)


def list_devices(*, adb_path: str = ADB) -> list[str]:
    return [adb_path, "devices", "-l"]


def install(apk: str | Path, *, serial: str | None = None, grant_all: bool = True) -> list[str]:
    """`install -r [-g] APK` (-g grants every runtime permission, POST_NOTIFICATIONS included)."""
    return adb("install", "-r", *(("-g",) if grant_all else ()), str(apk), serial=serial)


def _extra(key: str, value: Any) -> list[str]:
    """One typed intent extra for `am broadcast`: --ez bool, --ei int, --el long, --ef float, --es string
    (dicts and lists as a JSON string, like FCM's `extra`)."""
    if not _EXTRA_KEY_RE.match(key):
        raise ValueError(f"{key!r} is not an intent extra key (letters, digits, _ . -)")
    if isinstance(value, bool):
        return ["--ez", key, "true" if value else "false"]
    if isinstance(value, int):
        return ["--ei" if -(2**31) <= value < 2**31 else "--el", key, str(value)]
    if isinstance(value, float):
        return ["--ef", key, repr(value)]
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"))
    if value is None:
        return ["--esn", key]
    return ["--es", key, shlex.quote(str(value))]


def broadcast(
    action: str,
    *,
    component: str | None = None,
    extras: Mapping[str, Any] | None = None,
    serial: str | None = None,
) -> list[str]:
    """`am broadcast -a ACTION [-n PKG/.Receiver] --es k v --ei k 1 --ez k true …`.

    With the QA build's exported debug receiver (docs/mobile-wire.md, debug-push-receiver), the receiver turns the
    extras into the FCM `Bundle` and calls `BrazePushReceiver.handleReceivedIntent`: a real Braze push without FCM."""
    if not re.match(r"^[A-Za-z0-9_.]+$", action):
        raise ValueError(f"{action!r} is not an intent action")
    if component is not None and not re.match(r"^[A-Za-z0-9_.]+/[A-Za-z0-9_.$]+$", component):
        raise ValueError(f"{component!r} is not a component like com.example.app/.debug.PushReceiver")
    argv = shell("am", "broadcast", "-a", action, serial=serial)
    if component:
        argv += ["-n", component]
    for key, value in (extras or {}).items():
        argv += _extra(key, value)
    return argv


def push_broadcast(data: Mapping[str, Any], *, action: str, component: str | None = None, serial: str | None = None) -> list[str]:
    """A Braze FCM data message (`_ab`, `t`, `a`, `cid`, `uri`, `extra`, …) as string extras of a broadcast to the
    debug push-injection receiver. FCM data values are strings on the device, so every value is sent with --es."""
    if str(data.get("_ab", "")).lower() != "true":
        raise ValueError("not a Braze push: the FCM data needs _ab: 'true'")
    extras = {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for k, v in data.items()}
    return broadcast(action, component=component, extras=extras, serial=serial)


@dataclass(frozen=True)
class AdbDevice:
    serial: str
    state: str  # device, offline, unauthorized, recovery, …
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def is_emulator(self) -> bool:
        return self.serial.startswith("emulator-")

    @property
    def ready(self) -> bool:
        return self.state == "device"


def parse_devices(output: str) -> list[AdbDevice]:
    """`adb devices -l` → devices (serial, state, product/model/device/transport_id…); daemon chatter is skipped."""
    devices = []
    for line in output.splitlines():
        line = line.strip()
        if not line or line.startswith(("List of devices", "*")) or line.startswith("adb server"):
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        serial, rest = parts[0], parts[1:]
        state_words: list[str] = []
        props: dict[str, str] = {}
        for word in rest:
            if _PROP_RE.match(word):
                key, _, value = word.partition(":")
                props[key] = value
            elif not props:
                state_words.append(word)
        # "no permissions (user in plugdev group…)" is a multi-word state
        devices.append(AdbDevice(serial, " ".join(state_words) or "unknown", props))
    return devices


def subject_hash_old(pem: str | bytes) -> str:
    """OpenSSL's `x509 -subject_hash_old` (Android's CA file name): MD5 of the DER subject, first 4 bytes little-endian."""
    from cryptography import x509

    data = pem.encode() if isinstance(pem, str) else pem
    cert = x509.load_pem_x509_certificate(data)
    digest = hashlib.md5(cert.subject.public_bytes(), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def prepare_user_ca(ca_pem: str | Path, workdir: str | Path) -> Path:
    """Copies the CA to `<subject_hash_old>.0` in workdir: the file name Android's user CA store expects."""
    pem = Path(ca_pem).read_text()
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ToolError(f"{ca_pem}: not a PEM certificate")
    target = Path(workdir) / f"{subject_hash_old(pem)}.0"
    target.write_text(pem)
    return target


def install_user_ca(prepared: str | Path, *, serial: str | None = None) -> list[list[str]]:
    """The commands installing a prepared CA (`prepare_user_ca`) into the user CA store, without the UI
    (docs/mobile-wire.md, android-emulator): needs `adb root`, so a Google APIs (non-Play) emulator image; then a
    reboot. Apps still need the debug network-security-config `<certificates src="user"/>` to trust user CAs
    (Android 7+)."""
    name = Path(prepared).name
    if not re.fullmatch(r"[0-9a-f]{8}\.0", name):
        raise ValueError(f"{name}: expected <subject_hash_old>.0 (use prepare_user_ca)")
    remote = f"{USER_CA_DIR}/{name}"
    return [
        adb("root", serial=serial),
        wait_for_device(serial=serial),
        shell("mkdir", "-p", USER_CA_DIR, serial=serial),
        adb("push", str(prepared), remote, serial=serial),
        shell("chmod", "644", remote, serial=serial),
        shell("chown", "system:system", remote, serial=serial),
        shell("restorecon", "-R", USER_CA_DIR, serial=serial),
        adb("reboot", serial=serial),
        wait_for_device(serial=serial),
    ]


def run_all(commands: Sequence[Sequence[str]], *, timeout: float = 120.0) -> list[str]:
    from braze_harness.devices.tools.runner import run

    return [run(argv, timeout=timeout) for argv in commands]
