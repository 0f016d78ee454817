"""Pydantic models of a Canvas: an entry (custom event or segment), then steps a user walks.

    {"id": "onboarding",
     "entry": {"type": "custom_event", "event": "signed_up", "property_filters": [{"key": "plan", "value": "pro"}]},
     "steps": [
       {"id": "hello", "type": "message", "channel": "in_app_message", "message": {"type": "MODAL", "message": "Hi"}},
       {"id": "wait", "type": "delay", "seconds": 86400},
       {"id": "split", "type": "split", "paths": [{"segment": "pros", "next": "card"}, {"percent": 50, "next": "card"},
                                                   {"next": "bye"}]},
       {"id": "card", "type": "message", "channel": "content_card", "card": {"title": "Tips"}, "next": "bye"},
       {"id": "nudge", "type": "message", "channel": "push", "push": {"web_push": {"title": "Back?", "alert": "Tips"}}},
       {"id": "bye", "type": "exit"}]}

Steps run in list order unless a step names its `next`; a split's paths each name theirs. A wrong definition
fails naming the field: `canvases[0].steps[2].next: no step 'x'`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from braze_harness.emulator.messaging.models import Card, DefinitionError, InAppMessage, PropertyFilter, Strict, Trigger
from braze_harness.emulator.push.service import PushSendError, parse_messages
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator

STEP_TYPES = ("message", "delay", "split", "exit")
IAM_AVAILABLE_S = 3 * 86400  # how long a reached IAM step stays available to its user (Braze's default expiry)


class CanvasEntry(Strict):
    """`custom_event` (`event`, optional `property_filters`: all must hold, evaluated by the emulator when the
    event arrives), `segment` (`segment`: a member enters when one of their SDK requests arrives) or `api` (users
    enter when a backend calls `/canvas/trigger/send`, with its `canvas_entry_properties`: api_trigger.py)."""

    type: Literal["custom_event", "segment", "api"]
    event: str | None = None
    property_filters: list[PropertyFilter] = Field(default_factory=list)
    segment: str | None = None

    @model_validator(mode="after")
    def _check(self) -> CanvasEntry:
        if self.type == "custom_event" and (not self.event or self.segment):
            raise ValueError("a custom_event entry needs `event` (and no `segment`)")
        if self.type == "segment" and (not self.segment or self.event or self.property_filters):
            raise ValueError("a segment entry needs `segment` (and no `event` or `property_filters`)")
        if self.type == "api" and (self.segment or self.event or self.property_filters):
            raise ValueError("an api entry takes no `event`, `property_filters` or `segment` (the canvas's `segment` filters)")
        return self


class MessageStep(Strict):
    """`in_app_message` (`message`, served in the user's next trigger refresh with `trigger`, default session
    start), `content_card` (`card`, in the user's inbox at the next sync) or `push` (`push`: Braze REST message
    objects `{"android_push", "apple_push", "web_push"}`, sent through harness/emulator/push to the user's tokens)."""

    type: Literal["message"]
    id: str
    channel: Literal["in_app_message", "content_card", "push"]
    message: InAppMessage | None = None
    trigger: Trigger = Field(default_factory=lambda: Trigger(type="open"))
    priority: float = 0
    available_for: int = Field(IAM_AVAILABLE_S, gt=0)  # seconds the reached IAM stays available
    card: Card | None = None
    push: dict[str, Any] | None = None
    next: str | None = None

    @model_validator(mode="after")
    def _check(self) -> MessageStep:
        if (self.channel == "push") != (self.push is not None):
            raise ValueError("a push step needs `push` (and only a push step takes it)")
        if self.channel == "in_app_message" and (self.message is None or self.card is not None):
            raise ValueError("an in_app_message step needs `message` (and no `card`)")
        if self.channel == "content_card" and (self.card is None or self.message is not None):
            raise ValueError("a content_card step needs `card` (and no `message`)")
        return self


class DelayStep(Strict):
    type: Literal["delay"]
    id: str
    seconds: float = Field(ge=0)
    next: str | None = None


class SplitPath(Strict):
    """Taken when the user is in `segment` (if given) and their percentage bucket falls in this path's share
    (if `percent` is given). Paths are tried in order; a path with neither takes everyone left."""

    name: str | None = None
    segment: str | None = None
    percent: float | None = Field(None, gt=0, le=100)
    next: str


class SplitStep(Strict):
    type: Literal["split"]
    id: str
    paths: list[SplitPath] = Field(min_length=1)


class ExitStep(Strict):
    type: Literal["exit"]
    id: str


Step = Annotated[MessageStep | DelayStep | SplitStep | ExitStep, Field(discriminator="type")]


class Canvas(Strict):
    id: str
    name: str | None = None
    entry: CanvasEntry
    segment: str | None = None  # entry audience: only its members enter
    re_entry: bool = False  # may a user who exited enter again
    steps: list[Step] = Field(min_length=1)

    def step(self, step_id: str) -> Any:
        return next(s for s in self.steps if s.id == step_id)

    def after(self, step: Any) -> str | None:
        """The step following `step`: its `next`, else the next in the list (None: the user exits)."""
        explicit = getattr(step, "next", None)
        if explicit:
            return explicit
        index = self.steps.index(step)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else None

    def segments_used(self) -> list[tuple[str, str]]:
        """(field, segment id) of every segment this canvas refers to."""
        out = []
        if self.entry.segment:
            out.append(("entry.segment", self.entry.segment))
        if self.segment:
            out.append(("segment", self.segment))
        for i, s in enumerate(self.steps):
            if isinstance(s, SplitStep):
                out.extend((f"steps[{i}].paths[{j}].segment", p.segment) for j, p in enumerate(s.paths) if p.segment)
        return out


CANVAS = TypeAdapter(Canvas)


def _where(loc: tuple[Any, ...]) -> str:
    """`("steps", 2, "message", "next")` -> `steps[2].next` (the union's tag dropped, indices bracketed)."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and isinstance(loc[i - 1], int) and part in STEP_TYPES and loc[0] == "steps" and i == 2:
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_canvas(data: Any, where: str = "canvas") -> Canvas:
    if isinstance(data, Canvas):
        canvas = data
    else:
        try:
            canvas = CANVAS.validate_python(data)
        except ValidationError as exc:
            lines = []
            for err in exc.errors():
                loc = _where(tuple(err["loc"]))
                msg = err["msg"].removeprefix("Value error, ")
                lines.append(f"{where}.{loc}: {msg}" if loc else f"{where}: {msg}")
            raise DefinitionError("; ".join(lines)) from None
    _check_links(canvas, where)
    return canvas


def _check_links(canvas: Canvas, where: str) -> None:
    ids = [s.id for s in canvas.steps]
    seen: set[str] = set()
    for i, step in enumerate(canvas.steps):
        if step.id in seen:
            raise DefinitionError(f"{where}.steps[{i}].id: step id {step.id!r} is used twice")
        seen.add(step.id)
    for i, step in enumerate(canvas.steps):
        if isinstance(step, MessageStep) and step.push is not None:
            try:
                parse_messages(step.push, f"{where}.steps[{i}].push")
            except PushSendError as exc:
                raise DefinitionError(str(exc)) from None
        targets = [(f"steps[{i}].next", getattr(step, "next", None))]
        if isinstance(step, SplitStep):
            targets = [(f"steps[{i}].paths[{j}].next", p.next) for j, p in enumerate(step.paths)]
            total = sum(p.percent or 0 for p in step.paths)
            if total > 100:
                raise DefinitionError(f"{where}.steps[{i}].paths: the percentages add up to {total:g} (more than 100)")
        for field, target in targets:
            if target is not None and target not in ids:
                raise DefinitionError(f"{where}.{field}: no step {target!r} (steps: {ids})")
            if target == step.id:
                raise DefinitionError(f"{where}.{field}: a step cannot lead to itself")


def dump(canvas: Canvas) -> dict[str, Any]:
    return canvas.model_dump(mode="json") if isinstance(canvas, BaseModel) else dict(canvas)
