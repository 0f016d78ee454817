"""Faults a test injects into the emulator's answers, per scope and endpoint (docs/faults.md).

`POST /_emulator/scopes/{scope}/faults` `{"endpoint": "data", "status": 503, "times": 2}`: the scope's next
two `/data/` requests are answered 503. Kinds:

* `status` — an HTTP error (`status` 400–599; 429 with `retry_after` seconds sends `Retry-After`);
  the request is **not** applied to the state (the SDK re-queues it and resends).
* `drop` — the connection is closed without an answer, before the request is processed (not applied).
  Chromium silently resends a POST once on a dropped keep-alive socket (docs/web-sdk-wire.md, retries); since
  the dropped attempt was not applied, the resend is applied once: no double count.
* `auth_error` — `200 {"auth_error": {"error_code", "reason"}}`, the SDK-auth failure the SDK understands
  (docs/web-sdk-wire.md, sdk-authentication-answers): not applied, re-queued by the SDK.
* `malformed` / `empty` — the request **is** applied (the server got it) and the 200's body is invalid
  JSON / empty: the SDK treats it as delivered and does not resend (docs/web-sdk-wire.md, retries).
* `delay` — the answer (processed normally) is held `delay_ms` milliseconds. `delay_ms` also combines with
  any other kind.

`endpoint` names an SDK endpoint (`any`: all of them) or, for a backend's REST calls, `rest` or one REST path
(`users/track`): docs/rest-api.md.

`times` (default: every request until cleared) counts the requests the fault hit; `probability` (default 1)
makes it random (`seed` for repeatability).
"""

from __future__ import annotations

import random
import threading
from typing import Any, Literal, get_args

from braze_harness.emulator.answer import Answer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FaultKind = Literal["status", "drop", "delay", "auth_error", "malformed", "empty"]
FaultEndpoint = Literal[
    "any", "data", "content_cards/sync", "feature_flags/sync", "template", "banners/sync", "push/unregister", "other",
    # REST calls (a backend's): "rest" is every one of them, or one path; "any" means the SDK endpoints only
    "rest", "users/track", "users/export/ids", "users/identify", "users/alias/new", "users/alias/update", "users/merge",
    "users/external_ids/rename", "users/external_ids/remove", "users/delete", "messages/send", "campaigns/trigger/send",
    "canvas/trigger/send",
]  # fmt: skip
REST_FAULT_ENDPOINTS = frozenset(get_args(FaultEndpoint)[get_args(FaultEndpoint).index("rest") :])
# kinds after which the request was not processed: its data is not applied (the SDK resends it)
NOT_APPLIED: frozenset[str] = frozenset({"status", "drop", "auth_error"})
_ENDPOINT_ALIASES = {"content_cards": "content_cards/sync", "feature_flags": "feature_flags/sync", "banners": "banners/sync"}


class FaultSpec(BaseModel):
    """One fault as a test sets it (validated: a bad field is named in the 400)."""

    model_config = ConfigDict(extra="forbid")

    endpoint: FaultEndpoint = "any"
    kind: FaultKind | None = None  # default: "status" when `status` is given, else "delay" with `delay_ms`
    status: int | None = Field(None, ge=400, le=599)
    retry_after: float | None = Field(None, ge=0)
    delay_ms: int | None = Field(None, ge=0, le=600_000)
    error_code: int = Field(22, ge=10, le=28)
    reason: str | None = None
    times: int | None = Field(None, ge=1)
    probability: float = Field(1.0, gt=0, le=1)
    seed: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("endpoint"), str) and data["endpoint"] in _ENDPOINT_ALIASES:
            data = {**data, "endpoint": _ENDPOINT_ALIASES[data["endpoint"]]}
        return data

    @model_validator(mode="after")
    def _kind(self) -> FaultSpec:
        if self.kind is None:
            if self.status is not None:
                self.kind = "status"
            elif self.delay_ms is not None:
                self.kind = "delay"
            else:
                raise ValueError("give `kind`, or `status` (an HTTP error), or `delay_ms`")
        if self.kind == "status" and self.status is None:
            raise ValueError("status: required for kind 'status'")
        if self.kind != "status" and self.status is not None:
            raise ValueError(f"status: only for kind 'status', not {self.kind!r}")
        if self.retry_after is not None and self.kind != "status":
            raise ValueError("retry_after: only with an HTTP error status")
        if self.kind == "auth_error" and self.endpoint in REST_FAULT_ENDPOINTS:
            raise ValueError("kind: auth_error is the SDK's answer; a REST fault is status, drop, delay, malformed or empty")
        if self.kind == "delay" and self.delay_ms is None:
            raise ValueError("delay_ms: required for kind 'delay'")
        return self


def parse_fault(body: dict[str, Any]) -> FaultSpec:
    """A FaultSpec, or ValueError naming the field(s) at fault."""
    try:
        return FaultSpec.model_validate(body)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        raise ValueError("fault: " + "; ".join(parts)) from None


class Fault:
    """A FaultSpec in force: what is left of it and what it hit."""

    def __init__(self, fault_id: int, spec: FaultSpec) -> None:
        self.id = fault_id
        self.spec = spec
        self.remaining = spec.times
        self.hits = 0
        self._random = random.Random(spec.seed)

    def applies(self, endpoint: str, *, rest: bool = False) -> bool:
        return self.spec.endpoint in ("rest" if rest else "any", endpoint) and self.remaining != 0

    def roll(self) -> bool:
        return self.spec.probability >= 1 or self._random.random() < self.spec.probability

    def describe(self) -> str:
        s = self.spec
        what = {
            "status": f"HTTP {s.status}" + (f" Retry-After {s.retry_after:g}" if s.retry_after is not None else ""),
            "auth_error": f"200 auth_error {s.error_code}",
        }.get(s.kind or "", s.kind or "")
        if s.delay_ms and s.kind != "delay":
            what += f" after {s.delay_ms} ms"
        elif s.kind == "delay":
            what = f"delay {s.delay_ms} ms"
        return what

    def answer(self) -> Answer:
        """The answer of a fault whose request is not processed (status, drop, auth_error)."""
        s = self.spec
        delay = (s.delay_ms or 0) / 1000
        if s.kind == "drop":
            return Answer(0, None, drop=True, delay_s=delay)
        if s.kind == "auth_error":
            reason = s.reason or "emulator fault: injected auth_error"
            return Answer(200, {"auth_error": {"error_code": s.error_code, "reason": reason}}, delay_s=delay)
        headers = {"Retry-After": f"{s.retry_after:g}"} if s.retry_after is not None else {}
        body = {"error": "fault_injected", "message": s.reason or f"emulator fault: HTTP {s.status}"}
        return Answer(s.status or 500, body, headers, delay_s=delay)

    def alter(self, answer: Answer) -> Answer:
        """A processed request's answer under this fault (malformed, empty, delay)."""
        s = self.spec
        if s.kind == "malformed":
            answer.raw = b'{"config": {"time": 1, '  # cut mid-object: not JSON
            answer.body = answer.raw.decode()
        elif s.kind == "empty":
            answer.raw = b""
            answer.body = None
        answer.delay_s = (s.delay_ms or 0) / 1000
        return answer

    def to_json(self) -> dict[str, Any]:
        spec = self.spec.model_dump(exclude_none=True)
        if self.spec.kind != "auth_error":
            spec.pop("error_code", None)
        return {"id": self.id, **spec, "remaining": self.remaining, "hits": self.hits}


class FaultTable:
    """Faults per scope. `take(scope, endpoint)` picks (and counts) the first one that fires."""

    def __init__(self) -> None:
        self._by_scope: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._next_id = 0

    @property
    def active(self) -> bool:
        return bool(self._by_scope)

    def add(self, scope: str, spec: FaultSpec) -> Fault:
        with self._lock:
            self._next_id += 1
            fault = Fault(self._next_id, spec)
            self._by_scope.setdefault(scope, []).append(fault)
            return fault

    def list(self, scope: str) -> list[Fault]:
        with self._lock:
            return list(self._by_scope.get(scope, ()))

    def by_scope(self) -> dict[str, list[Fault]]:
        """Every scope's faults (those used up included: `remaining` 0)."""
        with self._lock:
            return {scope: list(faults) for scope, faults in self._by_scope.items()}

    def clear(self, scope: str | None = None) -> int:
        with self._lock:
            if scope is None:
                n = sum(len(v) for v in self._by_scope.values())
                self._by_scope.clear()
                return n
            return len(self._by_scope.pop(scope, ()))

    def take(self, scope: str | None, endpoint: str, *, rest: bool = False) -> Fault | None:
        """`rest`: `endpoint` is a REST path without its leading slash (`users/track`)."""
        if scope is None or not self._by_scope:
            return None
        with self._lock:
            for fault in self._by_scope.get(scope, ()):
                if fault.applies(endpoint, rest=rest) and fault.roll():
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None
