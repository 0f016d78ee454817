"""The one ingest pipeline: every exchange enters the emulator here, whoever brought it — the SDK's HTTP
requests (the emulator's socket, the proxy's emulate mode), exchanges observed through the proxy or read from a
HAR, virtual devices, REST calls.

One order for all: normalize and decode → tenancy (the scope, resolved once) → faults and SDK authentication →
state → engagement and messaging → answer → journal. An exchange someone else answered (`Upstream`) is applied
only if that answer accepted it, and journaled with that answer.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from braze_harness.dataplan import PlanChecker
from braze_harness.emulator.answer import Answer
from braze_harness.emulator.faults import NOT_APPLIED, Fault, FaultTable
from braze_harness.emulator.incidents import Incidents
from braze_harness.emulator.messaging.serve import Prefetched
from braze_harness.emulator.messaging.service import Messaging
from braze_harness.emulator.mobile_answers import mobile_answer
from braze_harness.emulator.rest import RestApi
from braze_harness.emulator.sdk_auth import SdkAuthTable
from braze_harness.emulator.server_config import ServerConfig
from braze_harness.emulator.state import UnknownApiKey
from braze_harness.emulator.stores import EngagementStore, JournalStore, StateStore, TenancyStore
from braze_harness.journal import Exchange, JournalEntry
from braze_harness.protocol.decode import DecodedRequest, Endpoint, Problem, decode_text
from braze_harness.protocol.input_limits import is_depth_problem
from braze_harness.protocol.requests import DataRequest
from braze_harness.protocol.wire import DEFAULT_LIMITS, Limits, WireRequest

# the setting a decoder problem names when a limit refused the request: "... (max_json_depth): not applied" (anchored
# at the end: a value quoted in another problem's message cannot pass for one)
_LIMIT_NAMED = re.compile(r"\((max_[a-z_]+)\): (?:not|nothing) applied$")


@dataclass(frozen=True, slots=True)
class Upstream:
    """The answer a real server gave (observed through the proxy, or in a HAR); `status` None: no answer."""

    status: int | None
    response: Any


@dataclass(frozen=True, slots=True)
class Ingested:
    answer: Answer | None  # what the emulator answers (None when someone else answered)
    entry: JournalEntry


def accepted(status: int | None, response: Any) -> bool:
    """Whether a server took the request: 2xx/304 without an `error`/`auth_error` answer.

    Only accepted requests change profiles; a refused or unanswered one (the SDK resends it) does not."""
    if status is None or not (200 <= status < 300 or status == 304):
        return False
    return not (isinstance(response, dict) and ("error" in response or "auth_error" in response))


class Pipeline:
    def __init__(
        self,
        *,
        state: StateStore,
        tenancy: TenancyStore,
        journal: JournalStore,
        engagement: EngagementStore,
        messaging: Messaging,
        rest: RestApi,
        faults: FaultTable,
        sdk_auth: SdkAuthTable,
        config: ServerConfig,
        incidents: Incidents,
        lock: threading.RLock,
        limits: Limits = DEFAULT_LIMITS,
        plan: PlanChecker | None = None,
    ) -> None:
        self.limits = limits  # the decoder's (docs/limits.md)
        self.plan = plan  # the team's data plan, checked on every exchange (docs/data-plan.md)
        self.state = state
        self.tenancy = tenancy
        self.journal = journal
        self.engagement = engagement
        self.messaging = messaging
        self.rest = rest
        self.faults = faults
        self.sdk_auth = sdk_auth
        self.config = config
        self.incidents = incidents
        self.lock = lock

    def ingest(
        self,
        wire: WireRequest,
        *,
        source: str = "emulator",
        upstream: Upstream | None = None,
        received_at: float | None = None,
        scope: str | None = None,
        problems: list[Problem] | None = None,
    ) -> Ingested:
        """Apply one exchange and journal it; the emulator's answer unless `upstream` answered it.

        `scope`: the scope to journal it in when the caller knows better (HAR import into a test's scope);
        `problems`: what the caller found wrong with the capture itself."""
        started = time.perf_counter()
        received_at = time.time() if received_at is None else received_at
        too_large = wire.too_large
        if too_large is not None and upstream is None:  # a bomb: refused, never expanded past the limit
            answer = Answer(413, {"error": "payload_too_large", "message": too_large.message, "limit": "max_expanded_body_bytes"})
            return Ingested(answer, self.refuse(wire, answer, too_large.message, source=source, received_at=received_at))
        decoded = decode_text(wire.method, wire.url, wire.headers, wire.text, wire.problems, limits=self.limits)
        found = list(problems or ())
        if self.plan is not None:  # reported like drift: Braze accepts what breaks the plan
            found += self.plan.check(decoded)
        rest = decoded.endpoint is Endpoint.REST
        if not rest:
            scope = scope or self.tenancy.scope_for(decoded.api_key, decoded.device_id)
        # Connected Content is fetched before, outside the lock: a slow endpoint must not hold up other requests
        prefetched = self.messaging.prefetch(decoded, scope) if upstream is None and not rest else None
        with self.lock:  # applied and journaled in one step: the journal's order is the order of the state's changes
            try:
                if rest:
                    too_deep = next((p for p in decoded.problems if is_depth_problem(p)), None)
                    if too_deep is not None:  # refused before the REST handlers parse it (docs/limits.md)
                        body = {"message": "Bad Request", "errors": [too_deep.message], "limit": "max_json_depth"}
                        answer = Answer(400, body)
                    else:
                        answer, app, more = self.rest.answer(decoded, wire.text)
                        found += more
                        scope = scope or (app.scope if app is not None else None)
                elif upstream is not None:
                    answer = None
                    if decoded.body is not None and decoded.api_key and accepted(upstream.status, upstream.response):
                        found += self._apply(decoded, scope, received_at, unknown_key_is_problem=True)
                else:
                    answer, more = self._answered(decoded, scope, received_at, prefetched)
                    found += more
            except Exception as exc:  # kept for the scope's test (plugin teardown); the transport answers 500
                self.incidents.record(scope, f"{wire.method} {wire.url}", exc)
                raise
            if upstream is not None:
                status, response = upstream.status, upstream.response
            elif answer is None or answer.drop:
                status, response = None, None
            else:
                status, response = answer.status, answer.body
            entry = self.journal.append(
                Exchange(wire.method, wire.url, wire.headers, wire.text, status, response),
                source=source,
                decoded=decoded,
                problems=found,
                wire_problems=wire.problems,
                received_at=received_at,
                duration_ms=(time.perf_counter() - started) * 1000,
                scope=scope,
            )
            self.messaging.stamp(scope, entry.seq)  # why each campaign was or wasn't in this answer (messaging/why.py)
        return Ingested(answer, entry)

    def refuse(
        self,
        wire: WireRequest,
        answer: Answer,
        reason: str,
        *,
        source: str = "emulator",
        received_at: float | None = None,
        where: str = "body",
    ) -> JournalEntry:
        """Journal a request refused before processing it (405, 413, 431, a limit) as bad, with its reason.
        Its body is not kept (not read, not all of it, or too large to keep): the reason is its summary."""
        decoded = decode_text(wire.method, wire.url, wire.headers, None, limits=self.limits)
        scope = self.tenancy.scope_for(decoded.api_key, None)
        body_free = Exchange(wire.method, wire.url, wire.headers, None, answer.status, answer.body)
        decoded.problems = [Problem(where=where, message=reason)]
        return self.journal.append(body_free, source=source, decoded=decoded, scope=scope, received_at=received_at)

    # -- the stages ------------------------------------------------------------------------------

    def _answered(
        self, decoded: DecodedRequest, scope: str | None, received_at: float, prefetched: Prefetched | None
    ) -> tuple[Answer, list[Problem]]:
        """The emulator's answer under the scope's faults and the app's SDK authentication."""
        fault: Fault | None = None
        if self.faults.active and decoded.endpoint is not None:
            fault = self.faults.take(scope, decoded.endpoint.value)
        if fault is not None and fault.spec.kind in NOT_APPLIED:
            return fault.answer(), [Problem(where="fault", message=f"injected {fault.describe()} (not applied)")]
        answer, problems = self._authenticated(decoded, scope, received_at, prefetched)
        if fault is not None:
            answer = fault.alter(answer)
            problems.append(Problem(where="fault", message=f"injected {fault.describe()} (applied)", severity="info"))
        return answer, problems

    def _authenticated(
        self, decoded: DecodedRequest, scope: str | None, received_at: float, prefetched: Prefetched | None
    ) -> tuple[Answer, list[Problem]]:
        auth = self.sdk_auth.get(decoded.api_key) if decoded.body is not None else None
        failure = auth.check(decoded.braze.auth_signature, decoded.user_ids) if auth is not None else None
        if failure is None:
            return self._served(decoded, scope, received_at, prefetched)
        assert auth is not None
        if auth.spec.mode == "required":
            # the answer the SDK treats as an auth failure: it re-queues the data and asks for a new signature
            return Answer(200, failure.body()), [Problem(where="sdk_auth", message=f"rejected: {failure}")]
        answer, problems = self._served(decoded, scope, received_at, prefetched)
        problems.append(Problem(where="sdk_auth", message=f"optional mode, accepted: {failure}", severity="info"))
        return answer, problems

    def _served(
        self, decoded: DecodedRequest, scope: str | None, received_at: float, prefetched: Prefetched | None
    ) -> tuple[Answer, list[Problem]]:
        api_key = decoded.api_key
        if decoded.body is None or api_key is None:
            errors = [p.model_dump() for p in decoded.errors]
            message = "; ".join(str(p) for p in decoded.errors)
            body: dict[str, Any] = {"error": "bad_request", "message": message, "problems": errors}
            for problem in decoded.errors:  # over a limit (docs/limits.md): named as the 413/431/408 answers name theirs
                limit = _LIMIT_NAMED.search(problem.message)
                if limit is not None:
                    body["limit"] = limit.group(1)
                    break
            return Answer(400, body), []
        try:
            # an unknown key is auto-created for the platform of the SDK that sent it (docs/mobile-wire.md)
            app = self.state.app(api_key, decoded)
        except UnknownApiKey:
            # a 2xx `error` makes the SDK stop resending instead of retrying forever
            unknown = Problem(where="api_key", message=f"unknown api key {api_key!r}")
            return Answer(200, {"error": "invalid_api_key"}), [unknown]
        if app is not None and decoded.device_id is None and decoded.endpoint is not Endpoint.OTHER:
            return Answer(200, {"error": "no_device_identifier"}), []
        problems = self._apply(decoded, scope, received_at)
        mobile = mobile_answer(decoded)  # the mobile SDKs' own endpoints: answered, and what is not modelled said
        if mobile is not None:
            return Answer(200, mobile[0]), problems + mobile[1]
        body = self._body(decoded, scope, prefetched)
        if prefetched is not None:  # what answering a /template/ met: a failed Connected Content fetch, a bound
            problems += prefetched.problems
        return Answer(200, body), problems

    def _apply(
        self, decoded: DecodedRequest, scope: str | None, received_at: float, *, unknown_key_is_problem: bool = False
    ) -> list[Problem]:
        """State, then engagement and canvases: what an accepted request changes."""
        try:
            problems = self.state.apply(decoded, received_at=received_at)
        except UnknownApiKey as exc:
            if not unknown_key_is_problem:
                raise
            return [Problem(where="api_key", message=f"{exc}: not applied to profiles")]
        if isinstance(decoded.body, DataRequest):
            self.engagement.record(scope, decoded)
            self.messaging.observe(decoded, scope)  # custom events entering canvases; users moving on through them
        return problems

    def _body(self, decoded: DecodedRequest, scope: str | None, prefetched: Prefetched | None) -> dict[str, Any]:
        body = decoded.body
        if decoded.endpoint is Endpoint.DATA:
            assert isinstance(body, DataRequest)
            out: dict[str, Any] = {}
            rw = body.respond_with
            config = self.config.for_request(rw.config.config_time if rw and rw.config else 0)
            if config is not None:
                out["config"] = config
            if rw and rw.triggers:
                out["triggers"] = self.messaging.triggers(decoded, scope)
            return out
        return self.messaging.answer(decoded, scope, prefetched) or {}
