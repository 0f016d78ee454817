"""`braze-harness emulator` configured the Python way, run as a user runs it: every setting a flag, a `BRAZE_<NAME>`
variable and a config file key (flag > env > --config > [tool.braze-harness] of ./pyproject.toml > default);
`--version`; `--port 0` printing the port it got; the page a browser gets at `/`; the request log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings, env_name, flag_name, load_settings
from braze_harness.errors import HarnessConfigError

from tests.support.paths import REPO

CLI = [sys.executable, "-m", "braze_harness.cli"]
BANNER = re.compile(r"^Braze emulator on http://127\.0\.0\.1:(\d+) ")


class Emulator:
    """`braze-harness emulator --port 0 ...` in a subprocess; `port` read from its banner."""

    def __init__(self, *args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
        assert self.proc.stdout is not None
        self.banner = self.proc.stdout.readline()
        match = BANNER.match(self.banner)
        if match is None:
            self.proc.kill()
            raise AssertionError(f"no banner: {self.banner!r} {self.proc.communicate(timeout=15)}")
        self.port = int(match.group(1))
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", trust_env=False, timeout=5)

    def stop(self) -> tuple[str, str]:
        self.http.close()
        self.proc.send_signal(signal.SIGINT)
        # read through the text streams: communicate() reads the pipes' descriptors and would miss what readline()
        # already buffered (stderr is a few lines at most: it cannot fill its pipe meanwhile)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        out, err = self.proc.stdout.read(), self.proc.stderr.read()
        self.proc.wait(timeout=15)
        return self.banner + out, err


@pytest.fixture
def started() -> Iterator[list[Emulator]]:
    running: list[Emulator] = []
    yield running
    for emu in running:
        if emu.proc.poll() is None:
            emu.proc.kill()
            emu.proc.communicate(timeout=15)


def cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]


# -- precedence ------------------------------------------------------------------------------------------


def test_flag_beats_env_beats_config_file_beats_pyproject_beats_default(started: list[Emulator], tmp_path: Path) -> None:
    # four settings, each set by one more source than the one before: the highest source of each must win
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.braze-harness]\n'
        "journal_cap = 11\nmax_json_depth = 21\nbanners_max_placements = 31\nmax_events_per_request = 41\n"
    )
    config = tmp_path / "emulator.toml"
    config.write_text("max_json_depth = 22\nbanners_max_placements = 32\nmax_events_per_request = 42\n")
    env = {"BRAZE_BANNERS_MAX_PLACEMENTS": "33", "BRAZE_MAX_EVENTS_PER_REQUEST": "43"}
    emu = Emulator("--config", str(config), "--max-events-per-request", "44", cwd=tmp_path, env=env)
    started.append(emu)

    settings = emu.http.get("/_emulator/config").json()["settings"]
    emu.stop()

    assert settings["journal_cap"] == 11  # pyproject only
    assert settings["max_json_depth"] == 22  # --config over pyproject
    assert settings["banners_max_placements"] == 33  # env over --config
    assert settings["max_events_per_request"] == 44  # flag over env
    assert settings["max_json_values"] == EmulatorSettings().max_json_values  # nobody: the default


def test_every_setting_reads_from_each_source(tmp_path: Path) -> None:
    """A value for every field, through each source in turn: none is left out of flags, env or files."""
    values = {
        "host": "127.0.0.2", "port": "9191", "unknown_api_keys": "reject", "max_body_bytes": "4096",
        "journal_cap": "7", "journal_db": str(tmp_path / "j.db"), "data_plan": str(tmp_path / "plan.yaml"),
        "keep_anonymous_events_on_merge": "false", "control_token": "a-token-of-20-chars!", "content_cards": "false",
        "feature_flags": "false", "feature_flags_refresh_rate_limit": "3", "banners": "false",
        "banners_max_placements": "2", "content_cards_rate_limit": "true", "content_cards_rate_limit_capacity": "9",
        "content_cards_rate_limit_refill_s": "1.5", "client_rate_limit": "true", "request_backoff": "none",
        "minimum_session_timeout": "12", "messaging_session_timeout": "13", "connected_content_allow": "api.test,10.0.0.0/8",
        "max_expanded_body_bytes": "5000", "max_header_bytes": "2048", "header_timeout_s": "2.5", "max_json_depth": "9",
        "max_identifier_bytes": "64", "max_events_per_request": "5", "max_json_values": "2000",
        "journal_max_bytes": "2000000", "store": "postgresql://braze@127.0.0.1:5432/braze", "store_run": "ci-42",
    }  # fmt: skip
    assert set(values) == set(EmulatorSettings.model_fields), "a new setting: give it a value here"
    from_env = load_settings({}, environ={env_name(k): v for k, v in values.items()}, cwd=tmp_path)

    toml_lines = []
    for name, text in values.items():
        field = EmulatorSettings.model_fields[name]
        toml_lines.append(f"{name} = {_toml_value(getattr(from_env, name), field.annotation, text)}")
    config = tmp_path / "settings.toml"
    config.write_text("\n".join(toml_lines) + "\n")
    from_file = load_settings({}, config_file=config, environ={}, cwd=tmp_path)

    from braze_harness.cli import build_parser

    argv = ["emulator"]
    for name, text in values.items():
        if text in ("true", "false"):
            argv.append(flag_name(name) if text == "true" else "--no-" + flag_name(name)[2:])
        elif name == "connected_content_allow":
            for host in text.split(","):
                argv += [flag_name(name), host]
        else:
            argv += [flag_name(name), text]
    args = build_parser().parse_args(argv)
    from_flags = load_settings({k: getattr(args, k) for k in values}, environ={}, cwd=tmp_path)

    assert from_env.model_dump() == from_file.model_dump() == from_flags.model_dump()
    defaults = EmulatorSettings().model_dump()
    same = [k for k, v in from_env.model_dump().items() if v == defaults[k]]
    assert same == [], f"these kept their default: the source was not read: {same}"
    assert from_env.connected_content_allow == ["api.test", "10.0.0.0/8"] and from_env.request_backoff is None


def _toml_value(value: object, annotation: object, text: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if value is None:  # request_backoff none: not expressible in TOML but as the text
        return f'"{text}"'
    return f'"{text}"'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("flag", "max_json_depth: Input should be greater than or equal to 4 (from --max-json-depth 2)"),
        ("env", "max_json_depth: Input should be greater than or equal to 4 (from $BRAZE_MAX_JSON_DEPTH='2')"),
        ("file", "max_json_depth: Input should be greater than or equal to 4 (from {config})"),
        ("pyproject", "max_json_depth: Input should be greater than or equal to 4 (from {pyproject} [tool.braze-harness])"),
    ],
)
def test_a_bad_value_names_the_setting_and_its_source(tmp_path: Path, source: str, expected: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_json_depth = 2\n")
    (tmp_path / "pyproject.toml").write_text("[tool.braze-harness]\nmax_json_depth = 2\n" if source == "pyproject" else "")
    with pytest.raises(HarnessConfigError) as raised:
        load_settings(
            {"max_json_depth": 2} if source == "flag" else {},
            config_file=config if source == "file" else None,
            environ={"BRAZE_MAX_JSON_DEPTH": "2"} if source == "env" else {},
            cwd=tmp_path,
        )
    assert str(raised.value) == expected.format(config=config, pyproject=tmp_path / "pyproject.toml")


def test_an_unknown_key_in_a_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("journal_cap = 5\njournla_db = 'x.db'\n")
    with pytest.raises(HarnessConfigError, match=rf"^journla_db: unknown setting \(from {re.escape(str(config))}\)$"):
        load_settings({}, config_file=config, environ={}, cwd=tmp_path)
    config.write_text("journal_cap = \n")
    with pytest.raises(HarnessConfigError, match="is not valid TOML"):
        load_settings({}, config_file=config, environ={}, cwd=tmp_path)


def test_a_pyproject_given_to_config_is_read_from_its_table(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('[project]\nname = "x"\n\n[tool.braze-harness]\njournal_cap = 77\n')
    assert load_settings({}, config_file=config, environ={}, cwd=tmp_path).journal_cap == 77


def test_the_token_is_never_printed_in_an_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessConfigError) as raised:
        load_settings({}, environ={"BRAZE_EMULATOR_TOKEN": "short-secret"}, cwd=tmp_path)
    assert "control_token" in str(raised.value) and "short-secret" not in str(raised.value)


def test_settings_built_in_code_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAZE_JOURNAL_CAP", "3")
    assert EmulatorSettings().journal_cap == 20_000  # a test run does not change with the shell's environment
    assert load_settings({}, cwd=Path("/")).journal_cap == 3


# -- the command -----------------------------------------------------------------------------------------


def test_version() -> None:
    done = cli("--version")
    assert done.returncode == 0
    from importlib.metadata import version

    assert done.stdout.strip() == f"braze-harness {version('braze-harness')}"


def test_port_0_prints_the_port_it_listens_on(started: list[Emulator]) -> None:
    emu = Emulator()
    started.append(emu)
    assert emu.port != 0
    assert emu.http.get("/_emulator/health").json()["status"] == "ok"
    emu.stop()


def test_the_request_log(started: list[Emulator]) -> None:
    emu = Emulator()
    started.append(emu)
    scope = emu.http.post("/_emulator/scopes", json={"name": "logged"}).json()["scope"]
    key = emu.http.post(f"/_emulator/scopes/{scope}/apps", json={}).json()["api_key"]
    body = {"api_key": key, "device_id": "log-dev", "time": 1795379958, "events": []}
    assert emu.http.post("/api/v3/data/", json=body).status_code == 200  # the fast path
    assert emu.http.post("/api/v3/data/", content=b"{broken", headers={"content-type": "application/json"}).status_code == 400
    assert emu.http.get("/api/v3/data/").status_code == 405  # the ASGI path
    out, err = emu.stop()

    lines = out.splitlines()
    assert (
        lines[1]
        == f"dashboard (live traffic, users, messaging, health; docs/dashboard.md): http://127.0.0.1:{emu.port}/_emulator/ui/"
    )
    assert "request log (--quiet turns it off)" in lines[2]
    rows = [line.split() for line in lines[3:]]
    # time, method, path, status, scope, ms
    assert [r[1:5] for r in rows] == [
        ["POST", "/_emulator/scopes", "201", "-"],
        ["POST", f"/_emulator/scopes/{scope}/apps", "201", scope],
        ["POST", "/api/v3/data/", "200", scope],
        ["POST", "/api/v3/data/", "400", "-"],
        ["GET", "/api/v3/data/", "405", "-"],
    ]
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", r[0]) and r[6] == "ms" and float(r[5]) >= 0 for r in rows)
    assert "Traceback" not in err and "INFO" not in err  # not uvicorn's access log


def test_quiet_has_no_request_log(started: list[Emulator]) -> None:
    emu = Emulator("--quiet")
    started.append(emu)
    emu.http.get("/_emulator/health")
    out, _ = emu.stop()
    assert "_emulator/health" not in out and "request log" not in out


def test_serve_is_the_emulator_command() -> None:
    from braze_harness.cli import build_parser

    assert build_parser().parse_args(["serve", "--port", "5"]).port == 5


# -- what a browser gets ---------------------------------------------------------------------------------


def test_the_root_is_a_page_and_neither_it_nor_the_favicon_is_bad_sdk_traffic() -> None:
    with EmulatorServer() as server, httpx.Client(base_url=server.url, trust_env=False) as http:
        page = http.get("/")
        favicon = http.get("/favicon.ico")
        head = http.head("/")
        stats = http.get("/_emulator/stats").json()["journal"]
        posted = http.post("/", content=b"{}")  # not a browser: SDK-shaped, journaled as before
        after = http.get("/_emulator/stats").json()["journal"]

    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Braze emulator</h1>" in page.text
    for link in ("/_emulator/openapi.json", "/_emulator/health", "/_emulator/requests"):
        assert f'href="{link}"' in page.text
    assert favicon.status_code == 204 and favicon.content == b""
    assert head.status_code == 200 and head.content == b""
    assert stats["entries"] == 0 and stats["bad"] == 0, "a browser's visit is not journaled"
    assert posted.status_code != 200 and after["entries"] == 1


def test_the_documented_config_examples_parse(tmp_path: Path) -> None:
    page = (REPO / "docs" / "configuration.md").read_text()
    blocks = re.findall(r"^```toml\n(.*?)^```", page, re.S | re.M)
    emulator_blocks = [b for b in blocks if "ini_options" not in b]
    assert len(emulator_blocks) >= 2, "docs/configuration.md shows a config file and a pyproject table"
    for block in emulator_blocks:
        data = tomllib.loads(block)
        given = data.get("tool", {}).get("braze-harness", data)
        config = tmp_path / "example.toml"
        config.write_text(block)
        settings = load_settings({}, config_file=config, environ={}, cwd=tmp_path).model_dump(mode="json")
        defaults = EmulatorSettings().model_dump(mode="json")
        for name, value in given.items():
            assert settings[name] == value != defaults[name], name


def test_the_doc_lists_every_setting_with_its_flag_and_variable() -> None:
    page = (REPO / "docs" / "configuration.md").read_text()
    for name in EmulatorSettings.model_fields:
        row = [line for line in page.splitlines() if line.startswith(f"| `{name}` ")]
        assert row, f"docs/configuration.md: no row for {name}"
        assert f"`{flag_name(name)}`" in row[0] and f"`{env_name(name)}`" in row[0], row[0]


def test_an_empty_variable_is_unset(tmp_path: Path) -> None:
    settings = load_settings({}, environ={"BRAZE_JOURNAL_DB": "", "BRAZE_PORT": ""}, cwd=tmp_path)
    assert settings.journal_db is None and settings.port == 9090  # `BRAZE_PORT= cmd` is how a shell unsets one
