"""The emulator: decoder -> state -> journal, and the answers the SDK expects.

Transport-free so the ASGI app, the mitmproxy addon and virtual devices all drive the same code.
"""

from __future__ import annotations

import contextlib
import gzip
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from harness.emulator.faults import NOT_APPLIED, Fault, FaultTable
from harness.emulator.messaging import Messaging
from harness.emulator.push import PushService
from harness.emulator.sdk_auth import SdkAuthTable
from harness.emulator.server_config import ServerConfig
from harness.emulator.settings import EmulatorSettings
from harness.emulator.state import EmulatorState, UnknownApiKey
from harness.journal import Exchange, Journal, JournalEntry
from harness.protocol.decode import MAX_RAW_KEPT, DecodedRequest, Endpoint, Problem, decode
from harness.protocol.requests import DataRequest


@dataclass(slots=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a fault)
    delay_s: float = 0.0  # hold the answer this long (a fault)
    raw: bytes | None = None  # the body's bytes when they are not `body` as JSON (a malformed/empty fault)

    def encoded(self) -> bytes:
        return self.raw if self.raw is not None else orjson.dumps(self.body)


class Emulator:
    def __init__(self, settings: EmulatorSettings | None = None) -> None:
        self.settings = settings or EmulatorSettings()
        self.state = EmulatorState(
            unknown_api_keys=self.settings.unknown_api_keys,
            keep_anonymous_events_on_merge=self.settings.keep_anonymous_events_on_merge,
        )
        self.journal = Journal(cap=self.settings.journal_cap, sqlite_path=self.settings.journal_db)
        self.config = ServerConfig(self.settings)
        self.messaging = Messaging(self)  # seeded segments and campaigns, served below
        self.push = PushService(self)  # push sends and per-device outboxes (harness/emulator/push)
        self._lock = threading.RLock()  # state and journal are touched by the server loop and by in-process tests
        self.preflights = 0
        self.faults = FaultTable()  # per scope, set by tests (faults.py)
        self.sdk_auth = SdkAuthTable()  # per api key (sdk_auth.py)

    # -- SDK traffic -----------------------------------------------------------------------------

    def handle_sdk(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | list[tuple[str, str]],
        body: bytes | None,
        *,
        source: str = "emulator",
        received_at: float | None = None,
    ) -> Answer:
        started = time.perf_counter()
        received_at = time.time() if received_at is None else received_at
        decoded = decode(method, url, headers, body)
        text, verbatim = _journal_text(body)
        with self._lock:
            answer, problems = self._faulted_answer(decoded)
            status, response = (None, None) if answer.drop else (answer.status, answer.body)
            self.journal.append(
                Exchange(method, url, decoded.headers, text, status, response),
                source=source,
                decoded=decoded,
                problems=problems,
                received_at=received_at,
                duration_ms=(time.perf_counter() - started) * 1000,
                # the text is the body itself and no header changes how it reads: the journal can re-decode it
                redecodable=verbatim and "content-encoding" not in decoded.headers,
            )
        return answer

    def record_rejected(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, answer: Answer, reason: str
    ) -> None:
        """Journal a request refused before decoding (e.g. too large) as bad, with its reason."""
        decoded = decode(method, url, headers, b"")
        decoded.problems = [Problem(where="body", message=reason)]
        with self._lock:
            exchange = Exchange(method, url, decoded.headers, _text(body), answer.status, answer.body)
            self.journal.append(exchange, source="emulator", decoded=decoded)

    def _faulted_answer(self, decoded: DecodedRequest) -> tuple[Answer, list[Problem]]:
        """`_answer` under the scope's faults (faults.py) and the app's SDK authentication (sdk_auth.py)."""
        fault: Fault | None = None
        if self.faults.active:
            endpoint = decoded.endpoint.value if decoded.endpoint else "other"
            fault = self.faults.take(self.journal.scopes.scope_for(decoded.api_key, decoded.device_id), endpoint)
        if fault is not None and fault.spec.kind in NOT_APPLIED:
            answer = fault.answer()
            problems = [Problem(where="fault", message=f"injected {fault.describe()} (not applied)")]
        else:
            answer, problems = self._authenticated_answer(decoded)
            if fault is not None:
                answer = fault.alter(answer)
                problems.append(Problem(where="fault", message=f"injected {fault.describe()} (applied)", severity="info"))
        return answer, problems

    def _authenticated_answer(self, decoded: DecodedRequest) -> tuple[Answer, list[Problem]]:
        auth = self.sdk_auth.get(decoded.api_key) if decoded.body is not None else None
        failure = auth.check(decoded.braze.auth_signature, decoded.user_ids) if auth is not None else None
        if failure is None:
            return self._answer(decoded)
        assert auth is not None
        if auth.spec.mode == "required":
            # the answer the SDK treats as an auth failure (web-sdk-protocol.md §11): it re-queues the data
            return Answer(200, failure.body()), [Problem(where="sdk_auth", message=f"rejected: {failure}")]
        answer, problems = self._answer(decoded)
        problems.append(Problem(where="sdk_auth", message=f"optional mode, accepted: {failure}", severity="info"))
        return answer, problems

    def _answer(self, decoded: DecodedRequest) -> tuple[Answer, list[Problem]]:
        if decoded.body is None or decoded.api_key is None:
            errors = [p.model_dump() for p in decoded.errors]
            message = "; ".join(str(p) for p in decoded.errors)
            return Answer(400, {"error": "bad_request", "message": message, "problems": errors}), []
        try:
            app = self.state.app(decoded.api_key)
        except UnknownApiKey:
            # a 2xx `error` makes the SDK stop resending (web-sdk-protocol.md §3.2) instead of retrying forever
            unknown = Problem(where="api_key", message=f"unknown api key {decoded.api_key!r}")
            return Answer(200, {"error": "invalid_api_key"}), [unknown]
        if app is not None and decoded.device_id is None and decoded.endpoint is not Endpoint.OTHER:
            return Answer(200, {"error": "no_device_identifier"}), []
        problems = self.state.apply(decoded, received_at=time.time())
        return Answer(200, self._response_body(decoded)), problems

    def _response_body(self, decoded: DecodedRequest) -> dict[str, Any]:
        body = decoded.body
        match decoded.endpoint:
            case Endpoint.DATA:
                assert isinstance(body, DataRequest)
                self.messaging.observe(decoded)  # custom events entering canvases; users moving on through them
                out: dict[str, Any] = {}
                rw = body.respond_with
                config = self.config.for_request(rw.config.config_time if rw and rw.config else 0)
                if config is not None:
                    out["config"] = config
                if rw and rw.triggers:
                    out["triggers"] = self.messaging.triggers(decoded)
                return out
            case Endpoint.CONTENT_CARDS | Endpoint.FEATURE_FLAGS | Endpoint.BANNERS | Endpoint.TEMPLATE:
                return self.messaging.answer(decoded) or {}
            case _:
                return {}

    # -- scopes ------------------------------------------------------------------------------------

    def create_scope(self, name: str | None = None) -> str:
        prefix = "".join(c if c.isalnum() or c in "-_" else "-" for c in (name or "scope"))[:40]
        return f"{prefix}-{secrets.token_hex(4)}"

    def create_app(
        self, scope: str, *, workspace: str = "test", platform: str = "web", api_key: str | None = None
    ) -> dict[str, str]:
        api_key = api_key or f"{workspace}-{platform}-{secrets.token_hex(8)}"
        with self._lock:
            self.state.create_app(api_key, workspace=f"{scope}/{workspace}", scope=scope, platform=platform)
            self.journal.scopes.claim(scope, api_keys=[api_key])
        return {"api_key": api_key, "workspace": workspace, "scope": scope, "platform": platform}

    def claim_devices(self, scope: str, device_ids: list[str]) -> None:
        self.journal.scopes.claim(scope, device_ids=device_ids)

    def reset(self, scope: str | None = None, *, release: bool = False) -> dict[str, int]:
        """Forget traffic and profiles (all, or one scope's). The scope keeps its api keys and devices
        unless `release`: an app still running with them after a reset must stay visible to its test."""
        with self._lock:
            removed = self.journal.reset(scope)
            if scope is not None:  # its users in workspaces shared with other tests (one `--braze-api-key`)
                self.state.forget_devices(self.journal.scopes.owned(scope)["device_ids"])
            self.state.reset(scope)
            self.push.drop(scope)  # outboxes go with the profiles whose tokens they were sent to
            if scope is not None and release:
                self.faults.clear(scope)
                self.sdk_auth.forget(self.journal.scopes.owned(scope)["api_keys"])
                self.journal.scopes.release(scope)
                self.messaging.drop(scope)
            elif scope is None:
                self.faults.clear()
        return {"entries_removed": removed}

    def profiles(self, *, scope: str | None = None, **selector: str | None) -> list[dict[str, Any]]:
        selector = {k: v for k, v in selector.items() if v}
        with self._lock:
            found = {p.braze_id: p for p in self.state.profiles(scope=scope, **selector)} if scope or selector else {}
            if scope is not None:
                # tests sharing one api key are scoped by device: include the profiles of claimed devices
                for device_id in self.journal.scopes.owned(scope)["device_ids"]:
                    if selector.get("device_id") not in (None, device_id):
                        continue
                    for p in self.state.profiles(**{**selector, "device_id": device_id}):
                        found.setdefault(p.braze_id, p)
            if scope is None and not selector:
                found = {p.braze_id: p for p in self.state.profiles()}
            # + each user's canvas progress (messaging/canvases.py), walked on to now
            return self.messaging.annotate(scope, [self.state.profile_json(p) for p in found.values()])

    def entries(self, query: Any) -> list[JournalEntry]:
        return self.journal.query(query)


def _journal_text(body: bytes | None) -> tuple[str | None, bool]:
    """`_text(body)`, and whether it is the body exactly (not decompressed, cut or with bad UTF-8 replaced)."""
    if body is None:
        return None, True
    if len(body) <= MAX_RAW_KEPT and body[:2] != b"\x1f\x8b":
        try:
            return body.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    return _text(body), False


def _text(body: bytes | None) -> str | None:
    """Body as text for the journal (decompressed, so remote readers can re-decode it)."""
    if body is None:
        return None
    if body[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            body = gzip.decompress(body)
    return body[:MAX_RAW_KEPT].decode("utf-8", "replace")
