"""Patterns over decoded events and attributes. A pattern returns its differences, not a bool,
so failure messages can show the nearest misses field by field (after pytest-httpserver)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from braze_harness.expect.matchers import Matcher, strict_equal, type_hint
from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.events import CustomEvent, Event, Purchase


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()  # matches any value, including "absent"
ANONYMOUS: Any = None  # user=ANONYMOUS: the event has no user_id

Expected = Any  # a value, ANY, or a predicate `lambda actual: bool`


@dataclass(frozen=True, slots=True)
class Diff:
    field: str
    actual: Any
    expected: Any

    def __str__(self) -> str:
        if isinstance(self.expected, Matcher):
            return f"{self.field}: {self.actual!r} is not {show(self.expected)}"
        if callable(self.expected) and not isinstance(self.expected, type):
            return f"{self.field}: {self.actual!r} does not satisfy {show(self.expected)}"
        return f"{self.field}: {self.actual!r} != {show(self.expected)}{type_hint(self.actual, self.expected)}"


def show(expected: Any) -> str:
    """An expected value as a failure message prints it: matchers by their description, predicates by their source
    (`lambda d: d >= 10`), never `<function ...>`."""
    if isinstance(expected, Matcher):
        return expected.describe()
    if callable(expected) and not isinstance(expected, type):
        return describe_predicate(expected)
    if isinstance(expected, Mapping):
        return "{" + ", ".join(f"{k!r}: {show(v)}" for k, v in expected.items()) + "}"
    if isinstance(expected, list | tuple):
        inner = ", ".join(show(v) for v in expected)
        return f"[{inner}]" if isinstance(expected, list) else f"({inner}{',' if len(expected) == 1 else ''})"
    return repr(expected)


def describe_predicate(fn: Callable[..., Any]) -> str:
    """`lambda d: d >= 10` rather than `<lambda>`: the failure message should say what was asked."""
    name = getattr(fn, "__name__", repr(fn))
    if name != "<lambda>":
        return name
    try:
        line = inspect.getsource(fn).strip()
    except (OSError, TypeError):
        return name
    start = line.find("lambda")
    text = line[start:] if start >= 0 else line
    depth = 0
    for i, ch in enumerate(text):  # cut at the end of the lambda: an unbalanced bracket or a top-level comma
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0 or (depth == 0 and ch == ","):
            return text[:i].strip()
    return text.rstrip(",")


_MISSING = object()


def value_diffs(actual: Any, expected: Expected, where: str) -> list[Diff]:
    """Type-strict equality (`"19.99"` is not 19.99, True is not 1: Braze keeps the JSON type it receives), except:
    dicts match as subsets (recursively), ANY matches, matchers and callables are predicates."""
    if expected is ANY:
        return []
    if callable(expected) and not isinstance(expected, type):
        try:
            ok = actual is not _MISSING and bool(expected(actual))
        except Exception:  # a predicate that cannot handle the value is a miss, not a crash
            ok = False
        return [] if ok else [Diff(where, None if actual is _MISSING else actual, expected)]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [Diff(where, None if actual is _MISSING else actual, dict(expected))]
        diffs: list[Diff] = []
        for key, exp in expected.items():
            diffs.extend(value_diffs(actual.get(key, _MISSING), exp, f"{where}.{key}"))
        return diffs
    if actual is _MISSING:
        return [Diff(where, "<absent>", expected)]
    return [] if strict_equal(actual, expected) else [Diff(where, actual, expected)]


@dataclass(frozen=True)
class EventPattern:
    """What an expected event looks like. Unset fields match anything."""

    code: str | None = None
    name: str | None = None  # custom event name, or purchase product id
    props: Mapping[str, Expected] | None = None  # custom event / purchase properties, as a subset
    data: Mapping[str, Expected] | None = None  # raw `data` fields, as a subset
    user: Any = ANY  # external id, ANONYMOUS (None) or ANY
    session: str | None = None
    device: str | None = None
    api_key: str | None = None
    where: Callable[[Event], bool] | None = None
    label: str | None = None

    def differences(self, event: Event, *, device_id: str | None = None, api_key: str | None = None) -> list[Diff]:
        diffs: list[Diff] = []
        if self.code is not None and event.name != self.code:
            diffs.append(Diff("code", event.name, self.code))
        if self.name is not None:
            actual = event.data.n if isinstance(event, CustomEvent) else event.data.pid if isinstance(event, Purchase) else None
            if actual != self.name:
                diffs.append(Diff("name", actual, self.name))
        if self.props is not None:
            actual_props = (
                event.data.p if isinstance(event, CustomEvent) else event.data.pr if isinstance(event, Purchase) else {}
            )
            diffs.extend(value_diffs(actual_props, dict(self.props), "props"))
        if self.data is not None:
            raw = event.data.model_dump() if hasattr(event.data, "model_dump") else (event.data or {})
            diffs.extend(value_diffs(raw, dict(self.data), "data"))
        if self.user is not ANY and event.user_id != self.user:
            diffs.append(Diff("user", event.user_id, self.user))
        if self.session is not None and event.session_id != self.session:
            diffs.append(Diff("session", event.session_id, self.session))
        if self.device is not None and device_id != self.device:
            diffs.append(Diff("device", device_id, self.device))
        if self.api_key is not None and api_key != self.api_key:
            diffs.append(Diff("api_key", api_key, self.api_key))
        if self.where is not None and value_diffs(event, self.where, "where"):
            diffs.append(Diff("where", "predicate false", self.where))
        return diffs

    def describe(self) -> str:
        if self.label:
            return self.label
        what = {"ce": "custom event", "p": "purchase", "ss": "session start", "se": "session end"}.get(self.code or "")
        parts = [what or (f"event `{self.code}`" if self.code else "any event")]
        if self.name is not None:
            parts.append(repr(self.name))
        if self.props is not None:
            parts.append(f"with props ⊇ {show(dict(self.props))}")
        if self.data is not None:
            parts.append(f"with data ⊇ {show(dict(self.data))}")
        if self.user is not ANY:
            parts.append("from an anonymous user" if self.user is None else f"from user {self.user!r}")
        if self.session:
            parts.append(f"in session {self.session}")
        if self.device:
            parts.append(f"from device {self.device}")
        if self.api_key:
            parts.append(f"with api key {self.api_key!r}")
        if self.where is not None:
            parts.append(f"where {show(self.where)}")
        return " ".join(parts)


@dataclass(frozen=True)
class AttributesPattern:
    """An `attributes` object sent for a user, with at least these fields (custom ones under `custom`)."""

    fields: Mapping[str, Expected] = field(default_factory=dict)
    user: Any = ANY

    def differences(self, attrs: Attributes) -> list[Diff]:
        diffs: list[Diff] = []
        sent = attrs.model_dump(exclude_unset=True)
        for key, exp in self.fields.items():
            diffs.extend(value_diffs(sent.get(key, _MISSING), exp, key))
        if self.user is not ANY and attrs.user_id != self.user:
            diffs.append(Diff("user", attrs.user_id, self.user))
        return diffs

    def describe(self) -> str:
        who = "" if self.user is ANY else (" for an anonymous user" if self.user is None else f" for user {self.user!r}")
        return f"attributes ⊇ {show(dict(self.fields))}{who}"
