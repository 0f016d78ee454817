"""The plain `mitmdump` command of docs/proxy-and-har.md, run as written: it listens on loopback only and keeps its CA in a new
directory of its own, never in `~/.mitmproxy` (one CA reused across runs and users)."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

from tests.support.paths import REPO

LISTENING = re.compile(r"listening at (?:http://)?\[?([0-9a-fA-F.:*]+|localhost)\]?:(\d+)")


def readme_mitmdump_command() -> str:
    page = (REPO / "docs" / "proxy-and-har.md").read_text()
    [line] = [ln for ln in page.splitlines() if ln.startswith(".venv/bin/mitmdump -s ")]
    return line


def test_the_documented_mitmdump_command_uses_a_per_run_confdir_on_loopback(tmp_path: Path) -> None:
    command = readme_mitmdump_command()
    assert "--set confdir=" in command and "--listen-host 127.0.0.1" in command
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp)}
    # as written, plus an ephemeral port (8080 may be taken on a shared machine)
    proc = subprocess.Popen(
        ["bash", "-c", command + " --listen-port 0"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    seen: list[str] = []
    listening = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if LISTENING.search(line):
                listening.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert listening.wait(30), "".join(seen)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(15)
    [address] = [m.group(1) for line in seen if (m := LISTENING.search(line))]
    assert address == "127.0.0.1"
    assert not (home / ".mitmproxy").exists()
    [confdir] = list(tmp.iterdir())  # the one `mktemp -d` made for this run
    assert (confdir / "mitmproxy-ca.pem").is_file()
