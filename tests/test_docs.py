"""The examples of README.md and docs/*.md run.

* ```python blocks that define `test_*` functions are pytest examples: a page's are written to one temporary
  project and run in one pytest subprocess against this checkout's plugin (fixtures `braze`, `braze_app`, ...);
  every test must pass.
* Other ```python blocks are plain snippets: executed in order in one namespace per page (the page's story).
* ```yaml, ```toml and ```json blocks are parsed.
* A block marked `<!-- not-run: reason -->` is skipped and counted; the reason is required.

Own runner rather than sybil / pytest-examples: neither is in the pinned venv, and a page's pytest examples must run
in a pytest subprocess with the plugin (they start an emulator and a browser), which neither does.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support.docs_blocks import PAGES, all_blocks, blocks_of, markers_without_block, page_id
from tests.support.inner_pytest import forget_outer_run
from tests.support.paths import DATA, REPO

pytest_plugins = ["pytester"]

TEST_FUNCTION = re.compile(r"^def (test_\w+)\(", re.M)
RUNNABLE = ("python", "yaml", "yml", "toml", "json", "bash", "console", "sh", "shell")


def is_pytest_example(code: str) -> bool:
    return bool(TEST_FUNCTION.search(code))


def python_blocks(page: Path, *, pytest_style: bool) -> list:
    return [b for b in blocks_of(page) if b.lang == "python" and b.not_run is None and is_pytest_example(b.code) == pytest_style]


# This machine has Debian's Chromium, not Playwright's download: plain pytest-playwright pages in the examples get it
# (a user's machine has `playwright install`; Braze's own contexts find Debian's by themselves)
EDGE_CONFTEST = """
import pytest
from braze_harness.devices.web.chromium import find_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    from pathlib import Path

    if Path(playwright.chromium.executable_path).is_file():
        return browser_type_launch_args
    return {**browser_type_launch_args, "executable_path": find_chromium()}
"""
# the project a page's examples come from: docs/your-web-site.md is the example project's site, ini and fixture
SITE_PROJECT = REPO / "tests" / "packaging" / "project"
SITE_FIXTURE = """

@pytest.fixture(scope="session")
def my_site(braze_web_sdk_bundle):
    from pathlib import Path

    from braze_harness.devices.web.static_site import StaticSite

    with StaticSite(Path("site").resolve(), {"/sdk/braze.js": braze_web_sdk_bundle}) as site:
        yield site.url
"""


def _project_of(page: Path, pytester: pytest.Pytester) -> None:
    conftest = EDGE_CONFTEST
    if page.name == "your-web-site.md":
        shutil.copytree(SITE_PROJECT / "site", pytester.path / "site")
        shutil.copy(SITE_PROJECT / "pytest.ini", pytester.path / "pytest.ini")  # --braze-api-key, --braze-proxy
        conftest += SITE_FIXTURE
    pytester.makeconftest(conftest)


PLAIN_PAGES = [p for p in PAGES if python_blocks(p, pytest_style=False)]
PYTEST_PAGES = [p for p in PAGES if python_blocks(p, pytest_style=True)]


@pytest.mark.parametrize("page", PLAIN_PAGES, ids=[page_id(p) for p in PLAIN_PAGES])
def test_the_plain_examples_of_a_page_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if page.name == "fleet.md":  # its examples read the database from FLEET_DSN: the test session's own server
        monkeypatch.setenv("FLEET_DSN", request.getfixturevalue("postgres_server").dsn)
    monkeypatch.chdir(tmp_path)  # a snippet that writes a file writes it here
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(REPO / "tests" / "data")  # what the pages read: the recordings
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    for block in python_blocks(page, pytest_style=False):
        exec(compile(block.code, f"{block.where} (python)", "exec"), namespace)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    forget_outer_run(monkeypatch)


@pytest.mark.parametrize("page", PYTEST_PAGES, ids=[page_id(p) for p in PYTEST_PAGES])
def test_the_pytest_examples_of_a_page_pass(page: Path, pytester: pytest.Pytester, clean_env: None) -> None:
    blocks = python_blocks(page, pytest_style=True)
    names = []
    for number, block in enumerate(blocks, 1):
        names += TEST_FUNCTION.findall(block.code)
        # one module per block: two blocks may both import or define helpers
        pytester.makepyfile(**{f"test_{page.stem.lower().replace('-', '_')}_{number}": block.code})
    _project_of(page, pytester)
    # what examples read: the HAR recorded from the real Web SDK (docs/proxy-and-har.md)
    (pytester.path / "artifacts").mkdir()
    (pytester.path / "artifacts" / "session.har").write_bytes((DATA / "web_sdk_6.13.0.har").read_bytes())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-q", timeout=300)
    outcomes = result.parseoutcomes()
    where = ", ".join(b.where for b in blocks)
    assert outcomes.get("passed", 0) == len(names) and result.ret == 0, f"{where}:\n{result.stdout.str()[-6000:]}"


DATA_BLOCKS = [b for b in all_blocks("yaml", "yml", "toml", "json") if b.not_run is None]


@pytest.mark.parametrize("block", DATA_BLOCKS, ids=[b.where for b in DATA_BLOCKS])
def test_the_data_blocks_parse(block) -> None:
    if block.lang in ("yaml", "yml"):
        list(yaml.safe_load_all(block.code))
    elif block.lang == "toml":
        tomllib.loads(block.code)
    else:
        try:
            json.loads(block.code)
        except json.JSONDecodeError:  # several answers, one JSON document a line
            for line in filter(str.strip, block.code.splitlines()):
                json.loads(line)


def test_every_not_run_marker_gives_a_reason_and_marks_a_block(record_property) -> None:
    blocks = [b for page in PAGES for b in blocks_of(page) if b.lang in RUNNABLE]
    marked = [b for b in blocks if b.not_run is not None]
    record_property("not_run_blocks", len(marked))  # counted (junit xml); the reasons are in the pages
    assert all(b.not_run for b in marked), [b.where for b in marked if not b.not_run]
    assert [bad for page in PAGES for bad in markers_without_block(page)] == []
    # the marker is for what cannot run here (devices, downloads), not a way out of keeping examples runnable
    assert len(marked) * 5 <= len(blocks), [f"{b.where}: {b.not_run}" for b in marked]


def test_the_runner_sees_the_readme_example() -> None:
    # the README's first example is a pytest example (run above), not silently skipped
    first = next(b for b in blocks_of(REPO / "README.md") if b.lang == "python")
    assert first.not_run is None and is_pytest_example(first.code)
