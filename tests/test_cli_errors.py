"""Every `braze-harness` subcommand given bad input, run as the real CLI: exit code 2 and one line on stderr naming
the mistake, never a traceback (a bad port, a bad setting value from a flag, the environment or a config file, a
missing file or folder, an unknown option, a missing argument)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

CLI = [sys.executable, "-m", "braze_harness.cli"]


def cli(args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}, cwd=cwd)


M = "/missing-braze-dir"  # a folder that does not exist

CASES: list[tuple[str, list[str], dict[str, str], list[str]]] = [
    # (id, argv, environment, words the one line must hold)
    ("no-command", [], {}, ["required: command"]),
    ("unknown-command", ["emulate"], {}, ["invalid choice: 'emulate'"]),
    ("unknown-option", ["--bogus", "bundle-sdk"], {}, ["unrecognized arguments: --bogus"]),
    ("emulator-unknown-option", ["emulator", "--prot", "9"], {}, ["--prot"]),
    ("emulator-port-not-int", ["emulator", "--port", "http"], {}, ["--port", "'http'"]),
    ("emulator-port-range", ["emulator", "--port", "70000"], {}, ["port:", "65535", "from --port 70000"]),
    ("emulator-bad-setting", ["emulator", "--max-json-depth", "2"], {}, ["max_json_depth", "from --max-json-depth 2"]),
    ("emulator-bad-choice", ["serve", "--unknown-api-keys", "maybe"], {}, ["unknown_api_keys", "'reject'"]),
    ("emulator-bad-env", ["emulator"], {"BRAZE_PORT": "eighty"}, ["port:", "$BRAZE_PORT='eighty'"]),
    ("emulator-bad-env-list", ["emulator"], {"BRAZE_CONNECTED_CONTENT_ALLOW": "a b"}, ["connected_content_allow"]),
    ("emulator-bad-backoff", ["emulator", "--request-backoff", "{"], {}, ["request_backoff", "not a JSON object"]),
    ("emulator-missing-config", ["emulator", "--config", f"{M}/x.toml"], {}, ["--config", "no file"]),
    ("emulator-missing-journal-folder", ["emulator", "--journal-db", f"{M}/x.db"], {}, ["journal_db", f"no folder {M}"]),
    ("emulator-missing-plan", ["emulator", "--port", "0", "--data-plan", f"{M}/p.yaml"], {}, ["data plan", "cannot read"]),
    ("emulator-remote", ["emulator", "--host", "10.0.0.1"], {}, ["refusing to listen on 10.0.0.1"]),
    ("journal-missing-db", ["journal", "show", f"{M}/j.db"], {}, ["no journal database"]),
    ("journal-no-db", ["journal", "show"], {}, ["required: db"]),
    ("journal-bad-action", ["journal", "list", "x.db"], {}, ["invalid choice: 'list'"]),
    ("plan-missing-file", ["plan", "check", f"{M}/p.yaml"], {}, ["cannot read"]),
    ("plan-missing-journal", ["plan", "init", "--from-journal", f"{M}/j.db"], {}, ["no journal database"]),
    ("dictionary-missing-db", ["dictionary", f"{M}/j.db"], {}, ["no journal database"]),
    ("dictionary-bad-format", ["dictionary", "j.db", "--format", "pdf"], {}, ["'pdf'"]),
    ("drift-missing-versions", ["drift"], {}, ["required: version_a, version_b"]),
    ("record-sdk-no-out", ["record-sdk", "6.13.0"], {}, ["required: --out"]),
    ("record-sdk-missing-folder", ["record-sdk", "6.13.0", "--out", f"{M}/r.json"], {}, ["--out", f"no folder {M}"]),
    ("record-sdk-bad-version", ["record-sdk", "six", "--out", "r.json"], {}, ["invalid @braze/web-sdk version 'six'"]),
    ("proxy-port-not-a-port", ["proxy", "--port", "99999"], {}, ["--port", "'99999'"]),
    ("proxy-emulator-port", ["proxy", "--emulator-port", "-1"], {}, ["--emulator-port"]),
    ("proxy-missing-confdir-parent", ["proxy", "--port", "0", "--confdir", f"{M}/ca"], {}, ["confdir", f"no folder {M}"]),
    ("proxy-missing-journal-folder", ["proxy", "--port", "0", "--journal-db", f"{M}/x.db"], {}, ["--journal-db", "no folder"]),
    ("proxy-bad-mode", ["proxy", "--mode", "mirror"], {}, ["--mode"]),
    ("import-har-missing-file", ["import-har", f"{M}/x.har"], {}, ["no HAR file"]),
    ("import-har-unknown-option", ["import-har", "x.har", "--out", "y"], {}, ["--out"]),
    ("bundle-sdk-unknown-option", ["bundle-sdk", "--bogus"], {}, ["--bogus"]),
    ("import-users-missing-file", ["import-users", f"{M}/u.csv", "--api-key", "k"], {}, ["no such file"]),
    ("import-users-no-key", ["import-users", "u.csv"], {}, ["--api-key"]),
    ("setup-bad-version", ["setup", "--web-sdk", "six"], {}, ["invalid @braze/web-sdk version 'six'"]),
    ("setup-unknown-option", ["setup", "--bogus"], {}, ["unrecognized arguments: --bogus"]),
    ("balancer-no-replica", ["balancer"], {}, ["required: REPLICA"]),
    ("balancer-bad-replica", ["balancer", "127.0.0.1"], {}, ["replica '127.0.0.1'", "HOST:PORT"]),
    ("balancer-remote-replica", ["balancer", "10.0.0.1:9090"], {}, ["refusing to forward to 10.0.0.1", "--allow-remote"]),
    ("balancer-bad-port", ["balancer", "127.0.0.1:9090", "--port", "70000"], {}, ["--port", "'70000'"]),
]


@pytest.mark.parametrize(("argv", "env", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_exit_2_and_one_line(argv: list[str], env: dict[str, str], words: list[str]) -> None:
    done = cli(argv, env)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("braze-harness: error: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Braze emulator on" not in done.stdout, "nothing announced"


def test_every_subcommand_is_walked() -> None:
    from braze_harness.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    walked = {c[1][0] for c in CASES if c[1]}
    assert set(sub.choices) <= walked, set(sub.choices) - walked  # type: ignore[union-attr]


def test_a_missing_folder_is_never_created(tmp_path: Path) -> None:
    target = tmp_path / "typo"
    for argv in (["emulator", "--journal-db", str(target / "x.db")], ["proxy", "--port", "0", "--confdir", str(target / "ca")]):
        assert cli(argv).returncode == 2
    assert not target.exists()


def test_a_bad_config_file_value_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text("journal_cap = 0\n")
    done = cli(["emulator", "--config", str(config)])
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"braze-harness: error: journal_cap: Input should be greater than or equal to 1 (from {config})"
    ]
    (tmp_path / "pyproject.toml").write_text("[tool.braze-harness]\nportt = 1\n")
    done = cli(["emulator"], cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"braze-harness: error: portt: unknown setting (from {tmp_path / 'pyproject.toml'} [tool.braze-harness])"
    )


def test_the_proxy_without_mitmproxy_is_one_line() -> None:
    # mitmproxy is installed here: the child hides it (a None in sys.modules makes its import fail) and runs main()
    code = "import sys; sys.modules['mitmproxy'] = None; from braze_harness.cli import main; sys.exit(main(['proxy']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 2
    expected = "braze-harness: error: braze-harness proxy needs the 'proxy' extra: pip install 'braze-harness[proxy]'"
    assert done.stderr.strip() == expected
