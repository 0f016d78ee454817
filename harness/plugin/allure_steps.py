"""Allure (`--alluredir`, allure-pytest installed): each expectation a step of its test, the test's timeline attached.

A step is made from the expectation's verdict (expect/verdicts.py), after the test's call, when every verdict is
final (a wait does not know whether it failed until its caller raises): its title is what was expected, its
parameters how long it waited, what it decided and which journal entries matched, its attachments those entries
decoded (and a verdict's table as CSV); a failed expectation's step is failed with its whole message (the near
misses, the recent traffic) as its status message, an interrupted one broken. Each step keeps the wait's own start
and stop, and sits among the test's own `allure.step`s in time order.

An expectation a fixture's teardown waited on gets its step right after that fixture's teardown (the
`pytest_fixture_post_finalizer` hook: before that its verdict may still change, and allure-pytest writes the fixture's
container right after it), with the parameter `during: teardown of <fixture>`, among the test's steps like the others.

Without `--alluredir`, or without allure-pytest (the `allure` extra), nothing here is imported or run.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from braze_harness.expect.verdicts import Verdict
from braze_harness.journal import JournalEntry
from braze_harness.timeline import verdict_state

ACTIVE: pytest.StashKey[bool] = pytest.StashKey()
STEPPED: pytest.StashKey[int] = pytest.StashKey()  # a test's verdicts made steps so far


def active(config: pytest.Config) -> bool:
    """Allure is writing results in this run: `--alluredir` given and allure-pytest importable (asked once)."""
    found = config.stash.get(ACTIVE, None)
    if found is None:
        found = False
        if config.getoption("--alluredir", default=None):
            try:
                import allure  # noqa: F401
                import allure_commons  # noqa: F401
            except ImportError:
                pass
            else:
                found = True
        config.stash[ACTIVE] = found
    return found


def step_new_verdicts(item: pytest.Item, during: str | None = None) -> None:
    """A step for each verdict of the test's `braze` handle not made a step yet (`during`: the phase, when not the
    call), on the test allure-pytest is recording now."""
    handle = (getattr(item, "funcargs", None) or {}).get("braze")
    if handle is None or not active(item.config):
        return
    verdicts, done = handle.verdicts.all(), item.stash.get(STEPPED, 0)
    if len(verdicts) <= done:
        return
    item.stash[STEPPED] = len(verdicts)
    try:
        entries = handle.entries()
    except Exception:  # the emulator is gone: the steps still say what was expected and decided
        entries = []
    add_steps(verdicts[done:], entries, during=during)


def add_steps(verdicts: list[Verdict], entries: list[JournalEntry], *, during: str | None = None) -> None:
    """A step per verdict, on the test allure-pytest is recording now."""
    by_seq = {e.seq: e for e in entries}
    for verdict in verdicts:
        _step(verdict, [by_seq[s] for s in verdict.matched if s in by_seq], during)


def attach_timeline(svg: str, name: str = "Braze timeline") -> None:
    import allure

    allure.attach(svg, name=name, attachment_type=allure.attachment_type.SVG)


def _step(verdict: Verdict, matched: list[JournalEntry], during: str | None = None) -> None:
    import allure
    from allure_commons import plugin_manager

    state = verdict_state(verdict.as_json())
    params = {
        "waited": f"{verdict.waited:.2f} s",
        "verdict": state,
        "matched": ", ".join(f"#{e.seq}" for e in matched) or "no journal entry",
        **({"during": during} if during else {}),
    }
    step_id = str(uuid.uuid4())
    plugin_manager.hook.start_step(uuid=step_id, title=verdict.what, params=params)
    step = _recorded(step_id)
    if matched:
        allure.attach(
            "\n".join(e.summary() for e in matched),
            name="matching entries (decoded)",
            attachment_type=allure.attachment_type.TEXT,
        )
    if verdict.table:
        allure.attach(_csv(verdict.table), name="mapping", attachment_type=allure.attachment_type.CSV)
    error: BaseException | None = None
    if state == "failed":
        error = AssertionError(verdict.detail or verdict.message)
    elif state == "interrupted":
        error = RuntimeError("the wait was interrupted before its verdict")
    plugin_manager.hook.stop_step(
        uuid=step_id, exc_type=type(error) if error else None, exc_val=error, exc_tb=error.__traceback__ if error else None
    )
    if step is not None:
        _as_waited(step, verdict)


def _recorded(step_id: str) -> Any:
    """The step allure-pytest is recording under this id (its reporter's item), None with another listener."""
    from allure_commons import plugin_manager

    for plugin in plugin_manager.get_plugins():
        reporter = getattr(plugin, "allure_logger", None)
        if reporter is not None and hasattr(reporter, "get_item"):
            return reporter.get_item(step_id)
    return None


def _as_waited(step: Any, verdict: Verdict) -> None:
    """The step's times are the wait's (allure stamps it when made), its message the failure's own text, and it moves
    to its place by start time among the test's steps (the test's own steps ran meanwhile). A step made while a
    fixture's teardown section is open (pytest 9 runs the post-finalizer hook inside one) moves to the test's too."""
    from allure_commons import plugin_manager
    from allure_commons.model2 import ExecutableItem

    step.start = int(verdict.started * 1000)
    step.stop = int((verdict.started + verdict.waited) * 1000)
    if step.statusDetails is not None and verdict.detail:
        step.statusDetails.message = verdict.detail
        step.statusDetails.trace = None
    for plugin in plugin_manager.get_plugins():
        reporter = getattr(plugin, "allure_logger", None)
        parent = reporter.get_test(None) if reporter is not None and hasattr(reporter, "get_test") else None
        if parent is None:
            continue
        holder = reporter.get_last_item(ExecutableItem)  # where allure-pytest put it (the step itself is closed)
        if holder is not None and holder is not parent and step in getattr(holder, "steps", []):
            holder.steps.remove(step)
            parent.steps.append(step)
        if step in parent.steps:
            parent.steps.sort(key=lambda s: s.start or 0)
            return


def _csv(table: dict[str, list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table["columns"])
    writer.writerows(table["rows"])
    return out.getvalue()
