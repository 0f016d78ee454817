"""adb and simctl helpers: the exact argv built, parsing of real-looking outputs, and the runner against fake
`adb`/`xcrun` executables on PATH (the edge we cannot reach: no Android emulator or iOS simulator here)."""

from __future__ import annotations

import json
import os
import shlex
import stat
from pathlib import Path

import pytest
from braze_harness.devices.tools import ToolError, adb, run, simctl

UDID = "8A1F2B3C-4D5E-6F70-8192-A3B4C5D6E7F8"


# ---- adb ----


def test_adb_serial_selection() -> None:
    assert adb.adb("devices") == ["adb", "devices"]
    assert adb.adb("reboot", serial="emulator-5554") == ["adb", "-s", "emulator-5554", "reboot"]
    assert adb.adb("get-state", serial="192.168.1.20:5555") == ["adb", "-s", "192.168.1.20:5555", "get-state"]
    with pytest.raises(ValueError, match="is not an adb serial"):
        adb.adb("devices", serial="emulator 5554; rm -rf /")


def test_adb_global_proxy_set_get_clear() -> None:
    assert adb.set_global_proxy("10.0.2.2", 8080, serial="emulator-5554") == [
        "adb", "-s", "emulator-5554", "shell", "settings", "put", "global", "http_proxy", "10.0.2.2:8080",
    ]  # fmt: skip
    assert adb.clear_global_proxy() == ["adb", "shell", "settings", "put", "global", "http_proxy", ":0"]
    assert adb.get_global_proxy(serial="X") == ["adb", "-s", "X", "shell", "settings", "get", "global", "http_proxy"]
    with pytest.raises(ValueError, match="is not a TCP port"):
        adb.set_global_proxy("10.0.2.2", 70000)
    with pytest.raises(ValueError, match="is not a host name"):
        adb.set_global_proxy("10.0.2.2;reboot", 8080)


def test_adb_pm_clear_grant_reverse_wait_install() -> None:
    assert adb.pm_clear("com.example.app", serial="S1") == ["adb", "-s", "S1", "shell", "pm", "clear", "com.example.app"]
    assert adb.grant("com.example.app") == [
        "adb", "shell", "pm", "grant", "com.example.app", "android.permission.POST_NOTIFICATIONS",
    ]  # fmt: skip
    assert adb.reverse(8080) == ["adb", "reverse", "tcp:8080", "tcp:8080"]
    assert adb.reverse(9090, 19090, serial="S1") == ["adb", "-s", "S1", "reverse", "tcp:9090", "tcp:19090"]
    assert adb.reverse_remove(8080) == ["adb", "reverse", "--remove", "tcp:8080"]
    assert adb.wait_for_device(serial="S1") == ["adb", "-s", "S1", "wait-for-device"]
    assert adb.boot_completed() == ["adb", "shell", "getprop", "sys.boot_completed"]
    assert adb.list_devices() == ["adb", "devices", "-l"]
    assert adb.install("/tmp/a.apk") == ["adb", "install", "-r", "-g", "/tmp/a.apk"]
    assert adb.install("/tmp/a.apk", grant_all=False) == ["adb", "install", "-r", "/tmp/a.apk"]
    with pytest.raises(ValueError, match="not an Android package name"):
        adb.pm_clear("com.example.app; reboot")


def test_adb_broadcast_with_typed_extras() -> None:
    argv = adb.broadcast(
        "com.example.qa.INJECT_PUSH",
        component="com.example.app/.debug.PushInjectReceiver",
        extras={"t": "Hello there", "n": 7, "big": 2**40, "sticky": True, "ratio": 0.5, "extra": {"k": "v"}, "gone": None},
        serial="emulator-5554",
    )
    assert argv == [
        "adb", "-s", "emulator-5554", "shell", "am", "broadcast", "-a", "com.example.qa.INJECT_PUSH",
        "-n", "com.example.app/.debug.PushInjectReceiver",
        "--es", "t", "'Hello there'",
        "--ei", "n", "7",
        "--el", "big", "1099511627776",
        "--ez", "sticky", "true",
        "--ef", "ratio", "0.5",
        "--es", "extra", "'{\"k\":\"v\"}'",
        "--esn", "gone",
    ]  # fmt: skip
    # the device's shell parses the joined command line again: each value comes back intact
    remote = shlex.split(" ".join(argv[4:]))
    assert remote[remote.index("t") + 1] == "Hello there"
    assert json.loads(remote[remote.index("extra") + 1]) == {"k": "v"}
    with pytest.raises(ValueError, match="is not an intent action"):
        adb.broadcast("a b")
    with pytest.raises(ValueError, match="is not a component"):
        adb.broadcast("x.Y", component="no-slash")
    with pytest.raises(ValueError, match="is not an intent extra key"):
        adb.broadcast("x.Y", extras={"bad key": 1})


def test_adb_push_broadcast_carries_the_fcm_data_as_strings() -> None:
    data = {"_ab": "true", "t": "Sale", "a": "50% off — today's only", "cid": "cid-1", "uri": "app://sale", "extra": {"p": 1}}
    argv = adb.push_broadcast(data, action="com.example.qa.PUSH", component="com.example.app/.debug.Push")
    remote = shlex.split(" ".join(argv[2:]))
    got = {remote[i + 1]: remote[i + 2] for i, part in enumerate(remote) if part == "--es"}
    assert got == {
        "_ab": "true",
        "t": "Sale",
        "a": "50% off — today's only",
        "cid": "cid-1",
        "uri": "app://sale",
        "extra": '{"p":1}',
    }
    with pytest.raises(ValueError, match="not a Braze push"):
        adb.push_broadcast({"t": "x"}, action="a.B")


ADB_DEVICES = """\
* daemon not running; starting now at tcp:5037
* daemon started successfully
List of devices attached
emulator-5554          device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 device:emu64xa transport_id:1
R5CT12345AB            unauthorized usb:1-1 transport_id:2
0123456789ABCDEF       no permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html] usb:3-1 transport_id:3
192.168.1.20:5555      offline transport_id:4

"""  # noqa: E501


def test_adb_devices_parsing() -> None:
    devices = adb.parse_devices(ADB_DEVICES)
    assert [(d.serial, d.state, d.is_emulator, d.ready) for d in devices] == [
        ("emulator-5554", "device", True, True),
        ("R5CT12345AB", "unauthorized", False, False),
        (
            "0123456789ABCDEF",
            "no permissions (user in plugdev group; are your udev rules wrong?); see [http://developer.android.com/tools/device.html]",
            False,
            False,
        ),
        ("192.168.1.20:5555", "offline", False, False),
    ]
    assert devices[0].properties == {
        "product": "sdk_gphone64_x86_64", "model": "sdk_gphone64_x86_64", "device": "emu64xa", "transport_id": "1",
    }  # fmt: skip
    assert devices[2].properties == {"usb": "3-1", "transport_id": "3"}
    assert adb.parse_devices("List of devices attached\n\n") == []


def _ca(tmp_path: Path) -> Path:
    """A real self-signed CA (like mitmproxy's) made with cryptography."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "mitmproxy"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mitmproxy")]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_subject_hash_old_matches_openssl(tmp_path: Path) -> None:
    import shutil
    import subprocess

    ca = _ca(tmp_path)
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    expected = subprocess.run(
        ["openssl", "x509", "-noout", "-subject_hash_old", "-in", str(ca)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert adb.subject_hash_old(ca.read_text()) == expected


def test_install_user_ca_commands(tmp_path: Path) -> None:
    ca = _ca(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    prepared = adb.prepare_user_ca(ca, work)
    digest = adb.subject_hash_old(ca.read_text())
    assert prepared == work / f"{digest}.0" and prepared.read_text() == ca.read_text()
    remote = f"/data/misc/user/0/cacerts-added/{digest}.0"
    assert adb.install_user_ca(prepared, serial="emulator-5554") == [
        ["adb", "-s", "emulator-5554", "root"],
        ["adb", "-s", "emulator-5554", "wait-for-device"],
        ["adb", "-s", "emulator-5554", "shell", "mkdir", "-p", "/data/misc/user/0/cacerts-added"],
        ["adb", "-s", "emulator-5554", "push", str(prepared), remote],
        ["adb", "-s", "emulator-5554", "shell", "chmod", "644", remote],
        ["adb", "-s", "emulator-5554", "shell", "chown", "system:system", remote],
        ["adb", "-s", "emulator-5554", "shell", "restorecon", "-R", "/data/misc/user/0/cacerts-added"],
        ["adb", "-s", "emulator-5554", "reboot"],
        ["adb", "-s", "emulator-5554", "wait-for-device"],
    ]
    with pytest.raises(ValueError, match=r"expected <subject_hash_old>\.0"):
        adb.install_user_ca(ca)
    (tmp_path / "bad.pem").write_text("nope")
    with pytest.raises(ToolError, match="not a PEM certificate"):
        adb.prepare_user_ca(tmp_path / "bad.pem", work)


# ---- simctl ----


def test_simctl_commands() -> None:
    assert simctl.add_root_cert(UDID, "/tmp/ca.pem") == ["xcrun", "simctl", "keychain", UDID, "add-root-cert", "/tmp/ca.pem"]
    assert simctl.add_root_cert("booted", "~/ca.pem")[-1] == str(Path("~/ca.pem").expanduser())
    assert simctl.push(UDID, "com.example.app", "/tmp/p.apns") == [
        "xcrun",
        "simctl",
        "push",
        UDID,
        "com.example.app",
        "/tmp/p.apns",
    ]
    assert simctl.grant_notifications(UDID, "com.example.app") == [
        "xcrun", "simctl", "privacy", UDID, "grant", "notifications", "com.example.app",
    ]  # fmt: skip
    assert simctl.privacy("booted", "reset", "all") == ["xcrun", "simctl", "privacy", "booted", "reset", "all"]
    assert simctl.boot(UDID) == ["xcrun", "simctl", "boot", UDID]
    assert simctl.bootstatus(UDID) == ["xcrun", "simctl", "bootstatus", UDID, "-b"]
    assert simctl.shutdown(UDID) == ["xcrun", "simctl", "shutdown", UDID]
    assert simctl.erase(UDID) == ["xcrun", "simctl", "erase", UDID]
    assert simctl.terminate("booted", "com.example.app") == ["xcrun", "simctl", "terminate", "booted", "com.example.app"]
    assert simctl.uninstall(UDID, "com.example.app") == ["xcrun", "simctl", "uninstall", UDID, "com.example.app"]
    assert simctl.list_devices() == ["xcrun", "simctl", "list", "devices", "--json"]
    with pytest.raises(ValueError, match="is not a simulator UDID"):
        simctl.boot("iPhone 15")
    with pytest.raises(ValueError, match="is not a bundle id"):
        simctl.push(UDID, "nodots", "/tmp/p.apns")
    with pytest.raises(ValueError, match="erase needs a UDID"):
        simctl.erase("booted")
    with pytest.raises(ValueError, match="privacy grant needs a bundle id"):
        simctl.privacy(UDID, "grant", "photos")
    with pytest.raises(ValueError, match="expected one of grant, revoke, reset"):
        simctl.privacy(UDID, "allow", "photos", "com.a.b")


SIMCTL_LIST = {
    "devices": {
        "com.apple.CoreSimulator.SimRuntime.iOS-17-5": [
            {
                "lastBootedAt": "2026-11-20T09:12:44Z",
                "dataPath": "/Users/qa/Library/Developer/CoreSimulator/Devices/8A1F2B3C-4D5E-6F70-8192-A3B4C5D6E7F8/data",
                "dataPathSize": 1838604288,
                "logPath": "/Users/qa/Library/Logs/CoreSimulator/8A1F2B3C-4D5E-6F70-8192-A3B4C5D6E7F8",
                "udid": UDID,
                "isAvailable": True,
                "deviceTypeIdentifier": "com.apple.CoreSimulator.SimDeviceType.iPhone-15",
                "state": "Booted",
                "name": "iPhone 15",
            },
            {
                "udid": "11111111-2222-3333-4444-555555555555",
                "isAvailable": True,
                "state": "Shutdown",
                "name": "iPhone 15 Pro",
            },
        ],
        "com.apple.CoreSimulator.SimRuntime.iOS-18-2": [
            {"udid": "66666666-7777-8888-9999-AAAAAAAAAAAA", "isAvailable": True, "state": "Shutdown", "name": "iPhone 15"},
            {
                "udid": "BBBBBBBB-CCCC-DDDD-EEEE-FFFFFFFFFFFF",
                "isAvailable": False,
                "availabilityError": "runtime profile not found",
                "state": "Shutdown",
                "name": "iPhone 16",
            },
        ],
        "com.apple.CoreSimulator.SimRuntime.watchOS-10-5": [],
    }
}


def test_simctl_list_parsing_and_finding() -> None:
    sims = simctl.parse_devices(json.dumps(SIMCTL_LIST))
    assert [(s.name, s.os_version, s.platform, s.state, s.is_available) for s in sims] == [
        ("iPhone 15", "17.5", "iOS", "Booted", True),
        ("iPhone 15 Pro", "17.5", "iOS", "Shutdown", True),
        ("iPhone 15", "18.2", "iOS", "Shutdown", True),
        ("iPhone 16", "18.2", "iOS", "Shutdown", False),
    ]
    assert simctl.find_simulator(sims, "iPhone 15").udid == UDID  # the booted one first
    assert simctl.find_simulator(sims, "iPhone 15", "18.2").udid == "66666666-7777-8888-9999-AAAAAAAAAAAA"
    with pytest.raises(ToolError, match=r"no available simulator 'iPhone 16'; available: iPhone 15 \(17.5\), iPhone 15 \(18.2\)"):
        simctl.find_simulator(sims, "iPhone 16")
    with pytest.raises(ToolError, match="not JSON"):
        simctl.parse_devices("xcrun: error: unable to find utility")


def test_write_apns(tmp_path: Path) -> None:
    payload = {"aps": {"alert": {"title": "QA", "body": "Hello"}, "sound": "default"}, "ab": {"c": "cid"}, "ab_uri": "app://x"}
    path = simctl.write_apns(payload, tmp_path / "p.apns", bundle_id="com.example.app")
    assert json.loads(path.read_text()) == {**payload, "Simulator Target Bundle": "com.example.app"}
    with pytest.raises(ValueError, match="with an `aps` dictionary"):
        simctl.write_apns({"ab": {}}, tmp_path / "q.apns")
    with pytest.raises(ValueError, match=r"APNs payload is \d+ bytes; the limit is 4096"):
        simctl.write_apns({"aps": {"alert": "x" * 5000}}, tmp_path / "big.apns")


# ---- the runner, against fake executables on PATH ----


def _fake_tool(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / name
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_runner_runs_the_built_argv_and_returns_stdout(fake_bin: Path, tmp_path: Path) -> None:
    log = tmp_path / "argv.log"
    _fake_tool(fake_bin, "adb", f'for a in "$@"; do printf "%s\\n" "$a" >> {log}; done\nprintf "%s" "{ADB_DEVICES[-120:]}"\n')
    run(adb.set_global_proxy("10.0.2.2", 8080, serial="emulator-5554"))
    assert log.read_text().splitlines() == [
        "-s",
        "emulator-5554",
        "shell",
        "settings",
        "put",
        "global",
        "http_proxy",
        "10.0.2.2:8080",
    ]
    log.unlink()
    out = run(adb.list_devices())
    assert log.read_text().splitlines() == ["devices", "-l"]
    assert out == ADB_DEVICES[-120:]


def test_runner_shows_stderr_and_exit_status_of_a_failed_command(fake_bin: Path) -> None:
    _fake_tool(fake_bin, "adb", "echo \"adb: device 'emulator-5556' not found\" >&2\nexit 1\n")
    with pytest.raises(ToolError) as info:
        run(adb.pm_clear("com.example.app", serial="emulator-5556"))
    assert str(info.value) == "adb -s emulator-5556 shell pm clear com.example.app: exit 1: adb: device 'emulator-5556' not found"


def test_runner_timeout(fake_bin: Path) -> None:
    _fake_tool(fake_bin, "xcrun", "exec sleep 5\n")
    with pytest.raises(ToolError, match=r"xcrun simctl boot .*: timed out after 0.5 s"):
        run(simctl.boot(UDID), timeout=0.5)


def test_runner_missing_tool_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    with pytest.raises(ToolError, match=r"^adb: not found on PATH \(install Android SDK platform-tools"):
        run(adb.list_devices())
    with pytest.raises(ToolError, match=r"^xcrun: not found on PATH \(xcrun comes with Xcode on macOS"):
        run(simctl.list_devices())


def test_run_all_stops_at_the_first_failure(fake_bin: Path, tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    _fake_tool(
        fake_bin, "adb", f'echo "$*" >> {log}\n[ "$3" = "push" ] && {{ echo "push failed: read-only" >&2; exit 1; }}\nexit 0\n'
    )
    commands = [adb.adb("root", serial="S1"), adb.adb("push", "a", "b", serial="S1"), adb.adb("reboot", serial="S1")]
    with pytest.raises(ToolError, match="push failed: read-only"):
        adb.run_all(commands)
    assert log.read_text().splitlines() == ["-s S1 root", "-s S1 push a b"]
