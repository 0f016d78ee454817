"""Canvas progress: who entered, which step they are on, what they were sent, on the scope's clock.

Progress is lazy: `walk()` moves a user on as far as the scope's clock allows whenever something looks
(their SDK requests, a profile or progress read), so a delay of a day passes with `advance(86400)` and
no waiting. A reached IAM step is served in that user's triggers only; a reached card step puts the card
in that user's inbox; a reached push step is sent to that user's push tokens (harness/emulator/push). All
carry the id `<canvas>.<step>` (`step_message_id`), so impressions, clicks, dismissals and push opens are
attributed per canvas and step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from braze_harness.emulator.messaging.canvas_models import Canvas, DelayStep, ExitStep, MessageStep, SplitStep
from braze_harness.emulator.messaging.models import InAppCampaign, PropertyFilter, Segment
from braze_harness.emulator.messaging.segments import _MISSING, compare, evaluate
from braze_harness.protocol.ids import step_message_id

MAX_MOVES = 1000  # a canvas looping through steps without a delay stops here


def bucket(canvas_id: str, user_key: str) -> float:
    """The user's percentage bucket in [0, 100) for this canvas: the same user always lands in the same one."""
    digest = hashlib.sha256(f"{canvas_id}:{user_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 / 100


def properties_match(filters: list[PropertyFilter], props: dict[str, Any]) -> bool:
    """All filters hold on the event's properties (the comparisons of segment filters)."""
    return all(compare(f.op, props.get(f.key, _MISSING), f.value) for f in filters)


@dataclass
class CanvasRun:
    """One user's walk through one canvas."""

    canvas: str
    user: str
    entered_at: float
    step: str | None = None  # the current step (None: not started or exited without an exit step)
    step_at: float = 0.0  # when the current step was reached
    status: str = "active"  # active | exited
    history: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, float] = field(default_factory=dict)  # step message id -> when it was reached
    pushed: dict[str, dict[str, Any]] = field(default_factory=dict)  # push step message id -> what the send did
    entry_properties: dict[str, Any] = field(default_factory=dict)  # `/canvas/trigger/send`'s canvas_entry_properties

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "step": self.step,
            "entered_at": self.entered_at,
            "path": [h["step"] for h in self.history],
            "history": [dict(h) for h in self.history],
            "sent": dict(self.sent),
            "push": {mid: dict(result) for mid, result in self.pushed.items()},
        }


Lookup = Callable[[str], Segment | None]


def enter(canvas: Canvas, user_key: str, at: float, how: dict[str, Any]) -> CanvasRun:
    run = CanvasRun(canvas=canvas.id, user=user_key, entered_at=at)
    run.history.append({"step": "entry", "type": "entry", "at": at, **how})
    _reach(canvas, run, canvas.steps[0].id, at)
    return run


def may_enter(canvas: Canvas, run: CanvasRun | None, profile: dict[str, Any] | None, lookup: Lookup) -> bool:
    if run is not None and not (canvas.re_entry and run.status == "exited"):
        return False
    return canvas.segment is None or evaluate(lookup(canvas.segment), profile, lookup)


def walk(canvas: Canvas, run: CanvasRun, now: float, profile: dict[str, Any] | None, lookup: Lookup) -> None:
    """Move the user on through every step whose time has come (delays end at their due time, not `now`)."""
    for _ in range(MAX_MOVES):
        if run.status != "active" or run.step is None:
            return
        step = canvas.step(run.step)
        match step:
            case DelayStep():
                due = run.step_at + step.seconds
                if now < due:
                    return
                _go(canvas, run, canvas.after(step), due)
            case SplitStep():
                path = _choose(canvas, step, run.user, profile, lookup)
                if path is None:
                    run.history[-1]["path"] = None
                    _exit(run, run.step_at, "no path matched")
                    return
                index, target = path
                run.history[-1]["path"] = step.paths[index].name or f"paths[{index}]"
                _go(canvas, run, target, run.step_at)
            case MessageStep():
                _go(canvas, run, canvas.after(step), run.step_at)
            case ExitStep():
                return
    _exit(run, now, f"stopped after {MAX_MOVES} steps without a delay (a loop?)")


def _choose(
    canvas: Canvas, step: SplitStep, user_key: str, profile: dict[str, Any] | None, lookup: Lookup
) -> tuple[int, str] | None:
    share = bucket(canvas.id, user_key)
    low = 0.0
    for index, path in enumerate(step.paths):
        in_share = True
        if path.percent is not None:
            in_share = low <= share < low + path.percent
            low += path.percent
        if in_share and (path.segment is None or evaluate(lookup(path.segment), profile, lookup)):
            return index, path.next
    return None


def _go(canvas: Canvas, run: CanvasRun, target: str | None, at: float) -> None:
    if target is None:
        _exit(run, at, "end of canvas")
    else:
        _reach(canvas, run, target, at)


def _reach(canvas: Canvas, run: CanvasRun, step_id: str, at: float) -> None:
    step = canvas.step(step_id)
    run.step, run.step_at = step_id, at
    record: dict[str, Any] = {"step": step_id, "type": step.type, "at": at}
    if isinstance(step, MessageStep):
        mid = step_message_id(canvas.id, step_id)
        record.update(channel=step.channel, message_id=mid)
        run.sent[mid] = at
    run.history.append(record)
    if isinstance(step, ExitStep):
        run.status = "exited"


def _exit(run: CanvasRun, at: float, why: str) -> None:
    run.status = "exited"
    run.history.append({"step": "exit", "type": "exit", "at": at, "reason": why})
    run.step = None


def iam_campaign(canvas: Canvas, step: MessageStep) -> InAppCampaign:
    """The in-app message a reached step serves, shaped as a campaign so the trigger JSON is built the same way."""
    assert step.message is not None
    return InAppCampaign(
        id=step_message_id(canvas.id, step.id), trigger=step.trigger, message=step.message, priority=step.priority
    )


def step_of(canvases: dict[str, Canvas], message_id: str) -> tuple[Canvas, MessageStep] | None:
    """The canvas and message step a step message id (`<canvas>.<step>`) belongs to."""
    for canvas in canvases.values():
        prefix = f"{canvas.id}."
        if message_id.startswith(prefix):
            step_id = message_id[len(prefix) :]
            for s in canvas.steps:
                if s.id == step_id and isinstance(s, MessageStep):
                    return canvas, s
    return None
