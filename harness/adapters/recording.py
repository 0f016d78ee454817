"""The test's own calls on an app (`launch`, `login`, `log_event(...)`, ...), recorded for its timeline.

`record_calls(app, log, lane)` wraps each public method of the app on the instance itself (an attribute per method,
set on the object): the test keeps the very object it would have had — its class, `isinstance`, its properties and
other attributes are untouched, only its methods note their start, end and outcome into `log` first. A call made
inside another recorded call (`__enter__` -> `launch`, a `login` that sets a signature) is part of the outer one.

Labels name the method and its arguments, abbreviated (`log_event("signed_in", {"plan": "pro"})`), never a secret:
an argument whose name says it is one (`signature`, `token`, `password`, ...) and any value that looks like a JWT or a
PEM key are shown as `…`. Times are unix seconds (`time.time()`), the journal's clock.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from braze_harness.adapters.base import AppAdapter

LABEL_MAX = 80  # characters of a call's label
VALUE_MAX = 30  # characters of one argument in it
HIDDEN = "…"
_SECRET_NAME = re.compile(r"signature|token|secret|password|passwd|jwt|credential|private|auth", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"eyJ[\w-]+\.[\w-]+\.|-----BEGIN ")  # a JWT (base64url of '{"'), a PEM block
INTERFACE: frozenset[str] = frozenset(n for n, v in vars(AppAdapter).items() if not n.startswith("_") and inspect.isfunction(v))
"""The `AppAdapter` actions: recorded on any app; an `AppAdapter` subclass's own public methods are recorded too."""


@dataclass(slots=True)
class Call:
    lane: str  # which app ("app", "app 2", ...)
    name: str  # the method
    label: str  # the method and its arguments, abbreviated, secrets hidden
    start: float  # unix seconds
    end: float | None = None  # None while running
    error: str | None = None  # the first line of what it raised

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class CallLog:
    """A test's calls, in the order they began."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._sent = 0
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def unsent(self) -> list[Call]:
        """The ended calls not taken by a previous `unsent()` (a running call waits for its end)."""
        with self._lock:
            ended = self._sent
            while ended < len(self._calls) and self._calls[ended].end is not None:
                ended += 1
            taken, self._sent = self._calls[self._sent : ended], ended
            return taken


def record_calls(app: Any, log: CallLog, lane: str = "app") -> Any:
    """`app` itself, its methods now noting each call into `log` (see the module). Raises TypeError when the object
    has no attributes of its own (`__slots__` without `__dict__`): nothing is wrapped then."""
    names = set(INTERFACE)
    if isinstance(app, AppAdapter):
        names |= {n for c in type(app).__mro__ if issubclass(c, AppAdapter) for n, v in vars(c).items() if _public(n, v)}
    depth = threading.local()
    wrapped = {}
    for name in sorted(names):
        if not inspect.isfunction(inspect.getattr_static(type(app), name, None)):
            continue  # absent, a property, a static or class method: left as it is
        wrapped[name] = _recording(getattr(app, name), name, lane, log, depth)
    own = getattr(app, "__dict__", None)
    if not isinstance(own, dict):
        raise TypeError(f"cannot record the calls of {type(app).__name__}: its instances take no attribute of their own")
    own.update(wrapped)  # as setattr would, without a class's own __setattr__ (a frozen dataclass) in the way
    return app


def _public(name: str, value: Any) -> bool:
    return not name.startswith("_") and inspect.isfunction(value)


def _recording(method: Callable[..., Any], name: str, lane: str, log: CallLog, depth: threading.local) -> Callable[..., Any]:
    try:
        signature: inspect.Signature | None = inspect.signature(method)
    except (TypeError, ValueError):
        signature = None

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if getattr(depth, "n", 0):  # inside another recorded call: part of it
            return method(*args, **kwargs)
        record = Call(lane, name, label(name, signature, args, kwargs), time.time())
        log.add(record)
        depth.n = 1
        try:
            return method(*args, **kwargs)
        except BaseException as exc:
            record.error = first_line(exc)
            raise
        finally:
            depth.n = 0
            record.end = time.time()

    return call


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def label(name: str, signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """`name(arg, key=value)`: each argument abbreviated, a secret one shown as `…`."""
    try:
        bound = signature.bind(*args, **kwargs) if signature is not None else None
    except TypeError:
        bound = None
    if bound is None:  # unbindable (the call raises TypeError itself): positions only, no names to judge by
        parts = [HIDDEN if _secret_value(a) else _short(a) for a in args] + [f"{k}={HIDDEN}" for k in kwargs]
    else:
        parts = []
        for pname, value in bound.arguments.items():
            kind = bound.signature.parameters[pname].kind
            hidden = _secret(pname, value)
            if kind is inspect.Parameter.VAR_POSITIONAL:
                parts += [HIDDEN if _secret(pname, v) else _short(v) for v in value]
            elif kind is inspect.Parameter.VAR_KEYWORD:
                parts += [f"{k}={HIDDEN if _secret(k, v) else _short(v)}" for k, v in value.items()]
            elif kind is inspect.Parameter.KEYWORD_ONLY:
                parts.append(f"{pname}={HIDDEN if hidden else _short(value)}")
            else:
                parts.append(f"{pname}={HIDDEN}" if hidden else _short(value))
    text = f"{name}({', '.join(parts)})"
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 2] + "…)"


def _secret(name: str, value: Any) -> bool:
    return _SECRET_NAME.search(name) is not None or _secret_value(value)


def _secret_value(value: Any) -> bool:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return isinstance(value, str) and _SECRET_VALUE.search(value) is not None


def _short(value: Any) -> str:
    if isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif isinstance(value, dict):
        items = [f"{_short(k)}: {HIDDEN if _secret(str(k), v) else _short(v)}" for k, v in list(value.items())[:4]]
        text = "{" + ", ".join(items) + (", …}" if len(value) > 4 else "}")
    else:
        text = repr(value)
    if _SECRET_VALUE.search(text):  # a secret inside a list or another object's repr
        return HIDDEN
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"
