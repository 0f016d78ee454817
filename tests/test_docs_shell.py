"""The shell commands of README.md and docs/*.md run as written, where that is safe here.

Every command of a ```bash / ```console / ```sh block (`$ ` lines of a console block) is classified:
* pytest commands (`./qa suites|test`, `python -m pytest`) run with `--collect-only` (options, targets, adapters and
  paths must be accepted; `-n N` dropped: no workers for a collection);
* servers (`braze-harness emulator|proxy|journal serve`, `mitmdump`) are started, must print where they listen, and are stopped;
* other commands run to completion and must exit 0;
* a command in SKIP (install commands, minutes-long runs) is skipped with its reason, and a block marked
  `<!-- not-run: reason -->` is not run at all (tests/test_docs.py checks the reasons).
An unclassified command fails the test: a new page's commands get a rule, a skip or a marker.

Commands run in a scratch directory holding what the examples name: `run.db` (a journal with the HAR recorded from the
real Web SDK imported), `session.har`, `plan.yaml` (the demo data plan), the files a page defines in blocks whose first
line is `# <path>` (a `mycompany/braze_adapter.py`, a `braze-targets.yaml`), and the files such a targets file
points at. The documented emulator at `http://127.0.0.1:9090` is a running one; ports a server is told to listen on
are replaced by free ones; `~/.braze-harness/...` by a scratch folder (never the user's home).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.docs_blocks import Block, all_blocks
from tests.support.paths import DATA, REPO

SHELL_LANGS = ("bash", "console", "sh", "shell")

# command prefix (after `.venv/bin/` and `node_modules/.bin/` are dropped) -> why it is not run here
SKIP: dict[str, str] = {
    "./qa setup": "installs system packages with apt, the venv and the npm packages",
    "./qa bench": "the benchmarks: minutes of load, figures rather than pass/fail",
    "appium driver install": "downloads an Appium driver from npm (~150 MB)",
    "braze-harness drift": "bundles two Web SDK versions from npm and drives Chromium on both (minutes)",
    "braze-harness record-sdk": "drives Chromium with a real Web SDK for a minute: tests/sdk_drift/test_record.py runs it",
    "sudo": "needs root",
    "apt-get": "installs system packages",
    "pip install": "installs packages",
    "npm install": "installs packages",
    "brew": "macOS package manager",
    "python3.12 -m venv": "a user's fresh venv: tests/packaging/test_wheel.py runs these install steps from a wheel",
    "export ": "sets a variable for the commands after it",
    "BRAZE_MAX_JSON_DEPTH=": "an error example: tests/test_configuration.py checks the variable's one-line error",
    "BRAZE_EMULATOR_URL=": "the suites against the emulator of the line before: tests/plugin/test_ini_options.py",
}
SERVERS = ("braze-harness emulator", "braze-harness proxy", "braze-harness journal serve", "mitmdump")
LISTENING = re.compile(r"https?://127\.0\.0\.1:(\d+)|listening at")
PORT_FLAGS = re.compile(r"(--(?:port|emulator-port|listen-port)[ =])(\d+)")
DOC_EMULATOR = "http://127.0.0.1:9090"
COLLECTED = re.compile(r"\d+ tests? collected|collected \d+ items?|^\S+::\S+|^\S+\.py: \d+$", re.M)


def commands_of(block: Block) -> list[str]:
    lines, out, pending = block.code.splitlines(), [], ""
    if block.lang == "console":
        lines = [ln[2:] for ln in lines if ln.startswith("$ ")]
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            out.append(command)
    return out


def bare(command: str) -> str:
    return re.sub(r"^(?:\.venv/bin/|node_modules/\.bin/)", "", command)


def classify(command: str) -> tuple[str, str]:
    """(kind, detail): kind is skip (detail: the reason), pytest, serve or run."""
    name = bare(command)
    for prefix, reason in SKIP.items():
        if name.startswith(prefix):
            return "skip", reason
    if name.startswith(("./qa suites", "./qa test", "python -m pytest", "pytest")):
        return "pytest", name
    if name.startswith(SERVERS):
        return "serve", name
    if name.startswith(("braze-harness ", "python -m braze_harness.devices.targets", "appium driver list")):
        return "run", name
    return "unclassified", name


BLOCKS = [b for b in all_blocks(*SHELL_LANGS) if b.not_run is None]
COMMANDS = [(b, c) for b in BLOCKS for c in commands_of(b)]


def test_every_documented_command_is_classified() -> None:
    unknown = [f"{b.where}: {c}" for b, c in COMMANDS if classify(c)[0] == "unclassified"]
    assert not unknown, "add a rule, a SKIP entry or a <!-- not-run: reason --> marker:\n" + "\n".join(unknown)


def test_the_readme_keeps_the_two_commands() -> None:
    # CI (.ci/run) and newcomers rely on these exact lines
    readme = (REPO / "README.md").read_text()
    assert "./qa suites   # the QA suites against the bundled demo web app and the embedded emulator" in readme
    assert "./qa test     # the harness's own tests" in readme
    assert "./qa test" in (REPO / ".ci" / "run").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch directory with what the examples name (see the module's docstring)."""
    work = tmp_path_factory.mktemp("docs-shell")
    shutil.copy(DATA / "web_sdk_6.13.0.har", work / "session.har")
    shutil.copy(REPO / "suites" / "data" / "demo_data_plan.yaml", work / "plan.yaml")
    shutil.copy(REPO / "devices" / "targets" / "example-targets.yaml", work / "lab.yaml")  # "copy what you need"
    (work / "docs").mkdir()
    (work / "home").mkdir()
    for block in all_blocks("python", "yaml", "toml"):
        first = block.code.splitlines()[0] if block.code.strip() else ""
        found = re.fullmatch(r"#\s*([\w./-]+\.(?:py|ya?ml|toml))", first.strip())
        if found and not found.group(1).startswith("/"):
            target = work / found.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code)
    import yaml

    for targets in (work / "braze-targets.yaml", work / "lab.yaml"):
        if not targets.is_file():
            continue
        for profile in (yaml.safe_load(targets.read_text()).get("targets") or {}).values():  # the local files it names
            for field in ("app", "locators"):
                value = profile.get(field)
                if isinstance(value, str) and "://" not in value and ":" not in value and not (work / value).exists():
                    (work / value).parent.mkdir(parents=True, exist_ok=True)
                    (work / value).write_text("login_field: {by: id, value: login}\nlogin_button: {by: id, value: go}\n")
    return work


@pytest.fixture(scope="module")
def emulator(workdir: Path):
    """The documented emulator (`http://127.0.0.1:9090` in the pages), with a journal file `run.db`."""
    from braze_harness.emulator.http.server import EmulatorServer
    from braze_harness.emulator.settings import EmulatorSettings
    from braze_harness.har import import_har

    with EmulatorServer(EmulatorSettings(port=0, journal_db=workdir / "run.db")) as server:
        import_har(workdir / "session.har", server.emulator)
        yield server


def env_for(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "PYTEST_ADDOPTS"}
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{REPO / 'node_modules' / '.bin'}:{env['PATH']}"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / ".dev"), str(REPO), str(workdir)])
    env["TMPDIR"] = str(workdir / "tmp")  # `mktemp -d` in a command stays in the scratch directory
    (workdir / "tmp").mkdir(exist_ok=True)
    return env


def substitute(command: str, workdir: Path, emulator_url: str, run_id: str) -> str:
    command = command.replace(DOC_EMULATOR, emulator_url)
    command = command.replace("~/.braze-harness/", f"{workdir}/home/.braze-harness/")
    command = command.replace(" proxy_addons/", f" {REPO}/proxy_addons/")  # written for the repository's root
    command = re.sub(r"\b\d{8}T\d{6}-[0-9a-f]{6}\b", run_id, command)  # a documented run id: the journal's own
    return PORT_FLAGS.sub(lambda m: f"{m.group(1)}{free_port()}", command)


def as_collection(name: str, workdir: Path) -> tuple[list[str], Path]:
    """The pytest command as a collection, run from the repository's root; files the scratch directory holds (and the
    repository does not) by their full path, and its `braze-targets.yaml` as the targets file."""
    argv = [
        str(workdir / arg) if not arg.startswith("-") and (workdir / arg).exists() and not (REPO / arg).exists() else arg
        for arg in shlex.split(name, comments=True)
    ]
    if "--braze-targets-file" not in argv and (workdir / "braze-targets.yaml").is_file():
        argv += ["--braze-targets-file", str(workdir / "braze-targets.yaml")]
    if argv[0] == "./qa":
        argv = ["python", "-m", "pytest", "suites" if argv[1] == "suites" else "tests", *argv[2:]]
    elif argv[0] == "pytest":
        argv = ["python", "-m", "pytest", *argv[1:]]
    kept, skip_next = [], False
    for arg in argv:
        if skip_next:
            skip_next = False
        elif arg == "-n":
            skip_next = True
        elif not re.fullmatch(r"-n\d+", arg):
            kept.append(arg)
    return [*kept, "--collect-only", "-q", "-p", "no:cacheprovider"], REPO


def serve(command: str, cwd: Path, env: dict[str, str]) -> str:
    if command.startswith("mitmdump"):
        command += " --listen-port 0"
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if LISTENING.search(line):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(60), f"{command}: never said where it listens:\n{''.join(seen)}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        reader.join(5)
    text = "".join(seen)
    assert "Traceback" not in text, text
    return text


@pytest.mark.parametrize(("block", "command"), COMMANDS, ids=[f"{b.where}:{c[:60]}" for b, c in COMMANDS])
def test_a_documented_command_runs(block: Block, command: str, workdir: Path, emulator) -> None:
    kind, name = classify(command)
    if kind == "skip":
        pytest.skip(f"{block.where}: {name}")
    assert kind != "unclassified", f"{block.where}: {command}"
    run_id = subprocess.run(
        ["braze-harness", "journal", "runs", "run.db"], cwd=workdir, env=env_for(workdir), capture_output=True, text=True,
        check=True,
    ).stdout.split()[0]  # fmt: skip
    name = substitute(name, workdir, emulator.url, run_id)
    env = env_for(workdir)
    if kind == "pytest":
        argv, cwd = as_collection(name, workdir)
        argv[0] = str(REPO / ".venv" / "bin" / "python")
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{block.where}: {' '.join(argv)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        assert COLLECTED.search(done.stdout), done.stdout[-2000:]
    elif kind == "serve":
        serve(name, workdir, env)
    else:
        done = subprocess.run(["bash", "-c", name], cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{block.where}: {name}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def test_the_skip_list_is_used() -> None:
    # an entry no command needs any more is dropped, so the list stays the list of what is not run
    used = {prefix for _, c in COMMANDS for prefix in SKIP if bare(c).startswith(prefix)}
    assert used, "no documented command is skipped: the SKIP list no longer matches anything"
