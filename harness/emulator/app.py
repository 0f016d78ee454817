"""The emulator: its collaborators wired together, the one ingest pipeline, and what tests ask of it
(scopes, apps, resets, profile reads). Transport-free: the HTTP definition, the proxy addon, HAR import and
virtual devices all drive it through `ingest`.

Collaborators receive what they use (state, tenancy, engagement, clocks, the lock), never the emulator.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from braze_harness.dataplan import PlanChecker, load_plan
from braze_harness.emulator.answer import Answer
from braze_harness.emulator.clock import ScopeClocks
from braze_harness.emulator.faults import FaultTable
from braze_harness.emulator.fleet import open_stores
from braze_harness.emulator.incidents import Incidents
from braze_harness.emulator.messaging import Messaging
from braze_harness.emulator.pipeline import Ingested, Pipeline, Upstream
from braze_harness.emulator.push import PushService
from braze_harness.emulator.rest import RestApi
from braze_harness.emulator.sdk_auth import SdkAuthTable
from braze_harness.emulator.server_config import ServerConfig
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.emulator.unowned import UnownedTraffic
from braze_harness.journal import JournalEntry, Query
from braze_harness.protocol.decode import Problem
from braze_harness.protocol.wire import RawHeaders, WireRequest, normalize

__all__ = ["Answer", "Emulator", "Ingested", "Upstream"]


class Emulator:
    def __init__(self, settings: EmulatorSettings | None = None) -> None:
        self.settings = settings or EmulatorSettings()
        # state, tenancy, engagement and journal are touched by the server loop, worker threads and in-process tests
        self.lock = threading.RLock()
        self.limits = self.settings.limits()  # the normalizer's and the decoder's (docs/limits.md)
        # in memory, or in the PostgreSQL database every replica shares (`--store`: emulator/fleet.py)
        self.stores = open_stores(self.settings, self.limits)
        self.replica = secrets.token_hex(4)  # this process among a fleet's replicas (the health route names it)
        self.state = self.stores.state
        self.tenancy = self.stores.tenancy
        self.engagement = self.stores.engagement
        self.journal = self.stores.journal
        self.clock = ScopeClocks()
        self.incidents = Incidents()
        self.unowned = UnownedTraffic()  # SDK traffic no test owns, named by "nothing seen" failures (unowned.py)
        self.journal.add_listener(self.unowned.add)
        self.config = ServerConfig(self.settings)
        self.faults = FaultTable()  # per scope, set by tests (faults.py)
        self.sdk_auth = SdkAuthTable()  # per api key (sdk_auth.py)
        self.push = PushService(self.state)  # push deliveries and per-device outboxes
        self.messaging = Messaging(
            state=self.state,
            tenancy=self.tenancy,
            engagement=self.engagement,
            clock=self.clock,
            push=self.push,
            settings=self.settings,
            lock=self.lock,
            incidents=self.incidents,
        )
        self.rest = RestApi(self.state, self.messaging, self.lock, self.faults)
        self.pipeline = Pipeline(
            state=self.state,
            tenancy=self.tenancy,
            journal=self.journal,
            engagement=self.engagement,
            messaging=self.messaging,
            rest=self.rest,
            faults=self.faults,
            sdk_auth=self.sdk_auth,
            config=self.config,
            incidents=self.incidents,
            lock=self.lock,
            limits=self.limits,
            plan=PlanChecker(load_plan(self.settings.data_plan)) if self.settings.data_plan is not None else None,
        )
        self.preflights = 0

    # -- the pipeline ------------------------------------------------------------------------------

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
        """The one way in for every exchange (see `braze_harness.emulator.pipeline`)."""
        return self.pipeline.ingest(
            wire, source=source, upstream=upstream, received_at=received_at, scope=scope, problems=problems
        )

    def handle(
        self,
        method: str,
        url: str,
        headers: RawHeaders,
        body: bytes | str | None,
        *,
        source: str = "emulator",
        received_at: float | None = None,
    ) -> Answer:
        """Answer one request as the emulator (normalized, then `ingest`): for in-process callers and tests."""
        wire = normalize(method, url, headers, body, max_expanded=self.limits.max_expanded_body_bytes)
        answer = self.ingest(wire, source=source, received_at=received_at).answer
        assert answer is not None
        return answer

    def observe(
        self,
        method: str,
        url: str,
        headers: RawHeaders,
        body: bytes | str | None,
        status: int | None,
        response: Any,
        *,
        source: str = "proxy",
        received_at: float | None = None,
        scope: str | None = None,
        problems: list[Problem] | None = None,
    ) -> JournalEntry:
        """Journal an exchange someone else answered (proxy observe mode, HAR), applied if that answer accepted it."""
        wire = normalize(method, url, headers, body, max_expanded=self.limits.max_expanded_body_bytes)
        return self.ingest(
            wire, source=source, upstream=Upstream(status, response), received_at=received_at, scope=scope, problems=problems
        ).entry

    # -- scopes ------------------------------------------------------------------------------------

    def create_scope(self, name: str | None = None) -> str:
        return self.tenancy.new_scope(name)

    def create_app(
        self, scope: str, *, workspace: str = "test", platform: str = "web", api_key: str | None = None
    ) -> dict[str, str]:
        api_key = api_key or f"{workspace}-{platform}-{secrets.token_hex(8)}"
        with self.lock:
            self.state.create_app(api_key, workspace=f"{scope}/{workspace}", scope=scope, platform=platform)
            self.tenancy.claim(scope, api_keys=[api_key])
        return {"api_key": api_key, "workspace": workspace, "scope": scope, "platform": platform}

    def claim_devices(self, scope: str, device_ids: list[str]) -> None:
        self.tenancy.claim(scope, device_ids=device_ids)

    def reset(self, scope: str | None = None, *, release: bool = False) -> dict[str, int]:
        """Forget traffic, profiles and engagement (all, or one scope's). The scope keeps its api keys and devices
        unless `release`: an app still running with them after a reset must stay visible to its test."""
        with self.lock:
            removed = self.journal.reset(scope)
            if scope is not None:  # its users in workspaces shared with other tests (one `--braze-api-key`)
                self.state.forget_devices(self.tenancy.owned(scope)["device_ids"])
            self.state.reset(scope)
            self.push.drop(scope)  # outboxes go with the profiles whose tokens they were sent to
            self.engagement.drop(scope)
            if scope is not None and release:
                self.faults.clear(scope)
                self.rest.rates.drop(scope)
                self.rest.keys.drop(scope)
                self.sdk_auth.forget(self.tenancy.owned(scope)["api_keys"])
                self.tenancy.release(scope)
                self.messaging.drop(scope)
                self.clock.drop(scope)
            elif scope is None:
                self.faults.clear()
        return {"entries_removed": removed}

    # -- reading -----------------------------------------------------------------------------------

    def profiles(self, *, scope: str | None = None, **selector: str | None) -> list[dict[str, Any]]:
        """Profile views (with each user's canvas progress). A pure read: nothing moves, nothing is sent."""
        with self.lock:
            views = self.messaging.audience.profiles(scope=scope, **selector)
            return self.messaging.annotate(scope, views)

    def entries(self, query: Query | None = None) -> list[JournalEntry]:
        return self.journal.query(query)

    def close(self) -> None:
        self.messaging.close()
        self.stores.close()
