"""A test's Braze artifacts, in pytest-playwright's per-test output folder and in Allure: on failure the scope's decoded
traffic; the scope's timeline picture (`braze-timeline.svg`, braze_harness.timeline) as `--braze-timeline` says
(default: a failed test's), and attached to every Braze test's Allure result."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from braze_harness.adapters.recording import Call
from braze_harness.expect.verdicts import Verdict
from braze_harness.journal import JournalEntry
from braze_harness.plugin.handle import BrazeHandle
from braze_harness.plugin.report_data import test_data
from braze_harness.timeline import timeline_svg

SCOPE_NAME_MAX = 40  # the emulator keeps 40 characters of a scope's name


@dataclass(slots=True)
class Timeline:
    """What a test's timeline is drawn from, taken at the `braze` fixture's teardown (the scope is gone after it)."""

    title: str
    scope: str
    entries: list[JournalEntry]
    verdicts: list[Verdict]
    start: float
    stop: float
    calls: list[Call]
    attributes: list[dict[str, Any]]  # timeline.attribute_changes of the scope's profiles

    def svg(self) -> str:
        data = test_data(self.scope, self.entries, self.verdicts, calls=self.calls, attributes=self.attributes)
        return timeline_svg(
            data["requests"], data["verdicts"], calls=data["calls"], attributes=data["attributes"], start=self.start,
            stop=self.stop, title=self.title, more_requests=data["more_requests"], more_calls=data["more_calls"],
            standalone=True,
        )  # fmt: skip


TIMELINE: pytest.StashKey[Timeline] = pytest.StashKey()
TIMELINE_FILE = "braze-timeline.svg"


def _slug(text: str) -> str:
    try:  # pytest-playwright's own slug (python-slugify is its dependency), so both name the same folder
        from slugify import slugify
    except ImportError:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slugify(text)


def _safe_length(name: str) -> str:
    # as pytest-playwright cuts a long folder name: both ends kept, the middle replaced by a hash
    if len(name) < 256:
        return name
    return f"{name[:100]}-{hashlib.sha256(name.encode()).hexdigest()[:7]}-{name[-100:]}"


def artifact_folder(config: pytest.Config, nodeid: str, attempt: int = 1) -> Path:
    """pytest-playwright's `output_path` of the test: `--output/<slug of the node id>[-retryN]`, so a test's
    Braze artifacts sit next to its screenshots and traces, and each pytest-rerunfailures attempt has its own."""
    output = Path(config.getoption("--output", default=None) or "test-results").absolute()
    name = _slug(nodeid) + (f"-retry{attempt - 1}" if attempt > 1 else "")
    return output / _safe_length(name)


def item_folder(item: pytest.Item) -> Path:
    return artifact_folder(item.config, item.nodeid, getattr(item, "execution_count", 1))


def scope_name(test_name: str) -> str:
    """A readable scope name from any test name (slashes, unicode, long parametrize ids): ASCII, cut to what the
    emulator keeps, a hash of the whole name when cut so long ids stay apart."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", test_name).strip("-") or "test"
    if len(name) <= SCOPE_NAME_MAX and name == test_name:
        return name
    return f"{name[: SCOPE_NAME_MAX - 8]}-{hashlib.sha256(test_name.encode()).hexdigest()[:7]}"


def attach_traffic(item: pytest.Item, report: pytest.TestReport, handle: BrazeHandle) -> None:
    try:
        text = handle.traffic_text()
        entries = handle.entries()
    except Exception as exc:  # the report must still be written if the emulator is gone
        report.sections.append(("Braze traffic", f"(could not read the journal: {exc})"))
        return
    report.sections.append((f"Braze traffic (decoded, scope {handle.scope})", text))
    folder = item_folder(item)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "braze-traffic.txt").write_text(text + "\n")
    with open(folder / "braze-traffic.jsonl", "wb") as fh:
        for e in entries:
            fh.write(orjson.dumps(e.to_json()) + b"\n")
    if item.config.getoption("--alluredir", default=None):
        try:
            import allure
        except ImportError:
            return
        allure.attach(text, name="Braze traffic (decoded)", attachment_type=allure.attachment_type.TEXT)
        allure.attach(
            orjson.dumps([e.to_json() for e in entries], option=orjson.OPT_INDENT_2).decode(),
            name="Braze traffic (JSON)",
            attachment_type=allure.attachment_type.JSON,
        )


def timeline_wanted(config: pytest.Config) -> bool:
    """Draw the test's timeline: a file may be written (`--braze-timeline` not off) or Allure attaches it."""
    from braze_harness.plugin.allure_steps import active

    return config.getoption("--braze-timeline") != "off" or active(config)


def keep_timeline(item: pytest.Item) -> Path | None:
    """After the teardown: the test's timeline into Allure, and into its folder with `--braze-timeline on`, or
    `only-on-failure` when the test failed or errored; the file's path, None when none was written. Drawn only then."""
    timeline = item.stash.get(TIMELINE, None)
    if timeline is None:
        return None
    del item.stash[TIMELINE]  # the item outlives the test: its entries must not
    from braze_harness.plugin.allure_steps import active, attach_timeline

    mode = item.config.getoption("--braze-timeline")
    failed = any(getattr(getattr(item, f"_braze_rep_{when}", None), "failed", False) for when in ("setup", "call", "teardown"))
    to_file = mode == "on" or (mode == "only-on-failure" and failed)
    to_allure = active(item.config)
    if not (to_file or to_allure):
        return None
    svg = timeline.svg()
    if to_allure:
        attach_timeline(svg)
    if not to_file:
        return None
    folder = item_folder(item)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TIMELINE_FILE
    path.write_text(svg, encoding="utf-8")
    return path
