"""`braze`: the per-test handle — the test's scope, its api keys and devices, expect, profiles."""

from __future__ import annotations

import secrets
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from braze_harness.adapters.recording import CallLog, record_calls
from braze_harness.client import EmulatorClient, RemoteSource
from braze_harness.errors import HarnessError
from braze_harness.expect import Expect
from braze_harness.expect.verdicts import VerdictLog
from braze_harness.expect.waiting import DEFAULT_TIMEOUT
from braze_harness.journal import JournalEntry
from braze_harness.plugin.context import ScopeContext
from braze_harness.plugin.messaging import MessagingHandle
from braze_harness.plugin.push import PushHandle
from braze_harness.rest_client import BrazeRestClient

POST_BATCH = 500  # calls per request to the emulator (it takes at most 1000)


class _PublishingSource(RemoteSource):
    """The scope's journal as expectations read it; each read first sends the test's calls not yet sent."""

    def __init__(self, handle: BrazeHandle, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handle = handle

    def entries(self, after_seq: int = 0) -> list[JournalEntry]:
        self._handle.publish_calls()
        return super().entries(after_seq)


class BrazeHandle:
    """Everything a test needs from the emulator, limited to what the test itself created.

    A scope owns the api keys it created (each in a workspace of its own) and the device ids
    it claimed; it sees only their traffic, and resetting it touches nothing else.
    """

    def __init__(
        self, client: EmulatorClient, *, name: str, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.client = client
        self.emulator_url = client.base_url
        self.scope = client.create_scope(name)
        self._source = _PublishingSource(self, client, self.scope, workspace_keys=self.workspace_keys)
        self.verdicts = VerdictLog()  # every expectation's verdict, for the run's report (expect/verdicts.py)
        self._source.verdicts = self.verdicts
        self.expect = Expect(self._source, default_timeout=timeout, metrics=self._metrics)
        self._shared_key = api_key is not None
        self._apps: dict[tuple[str, str], str] = {}
        self._rest_keys: dict[str, str] = {}  # app api key -> its workspace's all-permission REST key
        if api_key is not None:
            # a shared key (--braze-api-key): isolation comes from the devices this test claims
            self._apps[("test", "web")] = api_key
        self._suffix = secrets.token_hex(3)
        self.context = ScopeContext(
            scope=self.scope, client=client, expect=self.expect, api_key=self.app_key, rest_key=self.rest_key
        )
        self._messaging: MessagingHandle | None = None
        self._push: PushHandle | None = None
        self._closing: list[Callable[[], None]] = []  # what goes with the test (REST clients)
        self.fixed_keys: tuple[str, ...] = ()  # --braze-api-key: keys of a shared workspace (set by the fixture)
        self.claimed_devices: set[str] = set()  # the devices claim_context gave this test
        self.calls = CallLog()  # the test's calls on its apps (the timeline's first lanes)
        self._apps_recorded = 0
        self._post_calls = True  # False once the emulator refused them (warned once)

    def _metrics(self, campaign_id: str) -> dict[str, Any]:
        return self.client.metrics(self.scope, campaign_id)

    # -- what the test owns ----------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The web app's api key in this test's `test` workspace (created on first use)."""
        return self.app_key()

    def app_key(self, workspace: str = "test", platform: str = "web") -> str:
        """The api key of an app in one of this test's workspaces; `app_key("prod")` is another workspace."""
        key = (workspace, platform)
        if key not in self._apps:
            self._apps[key] = self.client.create_app(self.scope, workspace=workspace, platform=platform)["api_key"]
        return self._apps[key]

    def workspace_keys(self) -> dict[str, str]:
        """This test's api keys by workspace name: what `expect` reads (`test` unless told, expect/workspaces.py)."""
        return {key: workspace for (workspace, _), key in self._apps.items()}

    def new_device_id(self, *, uppercase: bool = False) -> str:
        """A fresh device id claimed by this scope (Android/web: lowercase UUID, iOS: uppercase)."""
        device_id = str(uuid.uuid4())
        device_id = device_id.upper() if uppercase else device_id
        self.client.claim_devices(self.scope, [device_id])
        return device_id

    def claim_context(self, context: Any) -> dict[str, str]:
        """Attach a Playwright browser context's Braze traffic to this test when the site has its api key written in
        (`--braze-api-key`): a claimed device id per key, seeded where the Web SDK reads it. Call it before
        the context's page loads; pytest-playwright's `page` is claimed by itself (docs/your-web-site.md)."""
        from braze_harness.plugin.fixed_keys import claim_context

        return claim_context(self, context)

    def uid(self, name: str) -> str:
        """A user id unique to this test (`ada` -> `ada-3f9a1c`), so parallel tests never collide."""
        return f"{name}-{self._suffix}"

    # -- the test's calls on its apps ---------------------------------------------------------------

    def record(self, app: Any) -> Any:
        """`app` itself, its calls now recorded (`braze.calls`) in a lane of their own: `app`, then `app 2`, ...
        An object that takes no attribute of its own is returned as it is, with a warning naming why."""
        self._apps_recorded += 1
        lane = "app" if self._apps_recorded == 1 else f"app {self._apps_recorded}"
        try:
            return record_calls(app, self.calls, lane)
        except TypeError as exc:
            warnings.warn(f"braze: {exc}: its calls are not on the timeline", stacklevel=2)
            return app

    def publish_calls(self) -> None:
        """The calls not yet sent, to the emulator (`POST /_emulator/scopes/{scope}/calls`; its dashboard draws them):
        called before each read of the journal (an expectation's, `braze.entries()`) and at the teardown, never by a
        call itself (a post costs about a millisecond; recording a call, tens of microseconds). An emulator that
        refuses them (an older one) is warned about once; the test's own timeline still has them."""
        if not self._post_calls:
            return
        calls = [c.as_json() for c in self.calls.unsent()]
        try:
            for at in range(0, len(calls), POST_BATCH):
                self.client.post_calls(self.scope, calls[at : at + POST_BATCH])
        except HarnessError as exc:
            self._post_calls = False
            warnings.warn(f"braze: the emulator's dashboard will not show this test's calls: {exc}", stacklevel=2)

    # -- faults and SDK authentication ------------------------------------------------------------

    def fault(
        self,
        endpoint: str = "any",
        *,
        status: int | None = None,
        kind: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        retry_after: float | None = None,
        delay_ms: int | None = None,
        error_code: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Fault this scope's next requests to `endpoint` (data, content_cards/sync, ..., any):
        `braze.fault("data", status=503, times=2)`, `braze.fault(kind="drop", times=1)`,
        `braze.fault(status=429, retry_after=1, times=1)`, `braze.fault(kind="auth_error", error_code=22)`."""
        spec = {
            "endpoint": endpoint,
            "status": status,
            "kind": kind,
            "times": times,
            "probability": probability,
            "retry_after": retry_after,
            "delay_ms": delay_ms,
            "error_code": error_code,
            **extra,
        }
        return self.client.add_fault(self.scope, **{k: v for k, v in spec.items() if v is not None})

    def faults(self) -> list[dict[str, Any]]:
        """The scope's faults, with `remaining` and `hits`."""
        return self.client.faults(self.scope)

    def clear_faults(self) -> int:
        return self.client.clear_faults(self.scope)

    def sdk_auth(
        self, mode: str = "required", public_keys: list[str] | None = None, *, api_key: str | None = None
    ) -> dict[str, Any]:
        """SDK authentication for this test's app (default: `braze.api_key`): disabled / optional / required,
        RS256 against up to 3 PEM public keys (`braze_harness.sdk_auth.KeyPair.generate().public_pem`)."""
        return self.client.set_sdk_auth(api_key or self.api_key, mode=mode, public_keys=public_keys)

    @property
    def messaging(self) -> MessagingHandle:
        """Segments and campaigns seeded for this test, their metrics (`braze_harness.plugin.messaging`)."""
        if self._messaging is None:
            self._messaging = MessagingHandle(self.context)
        return self._messaging

    @property
    def push(self) -> PushHandle:
        """Push sends to this test's users, device outboxes, push tokens (`braze_harness.plugin.push`)."""
        if self._push is None:
            self._push = PushHandle(self.context)
        return self._push

    # -- reading -----------------------------------------------------------------------------------

    def profiles(self, *, external_id: str | None = None, device_id: str | None = None) -> list[dict[str, Any]]:
        return self._source.profiles(external_id=external_id, device_id=device_id)

    def profile(self, external_id: str | None = None, *, device_id: str | None = None) -> dict[str, Any] | None:
        found = self.profiles(external_id=external_id, device_id=device_id)
        return found[0] if found else None

    def entries(self) -> list[JournalEntry]:
        return self._source.entries()

    def export_har(self, path: str | Path) -> Path:
        """This test's SDK traffic so far as a HAR 1.2 file at `path` (its folder must exist): what
        `braze-harness import-har` and `braze_harness.har.import_har` read back (docs/reports.md)."""
        from braze_harness.har_export import write_har

        write_har(self.entries(), path)
        return Path(path)

    def traffic_text(self) -> str:
        entries = self.entries()
        stats = self.client.stats(self.scope)["journal"]
        head = (
            f"scope {self.scope}: {stats['entries']} request(s), {stats['bad']} bad, "
            f"{stats['dropped']} dropped by the journal cap"
        )
        return "\n".join([head, *(e.summary() for e in entries)])

    def rest_key(self, permissions: list[str] | None = None, *, api_key: str | None = None) -> str:
        """A REST API key of the workspace of `api_key` (default `braze.api_key`), with `permissions` (default all:
        docs/rest-api.md); the one with all permissions is made once per test."""
        of = api_key or self.api_key
        if permissions is None and of in self._rest_keys:
            return self._rest_keys[of]
        key = self.client.create_rest_key(self.scope, permissions=permissions, api_key=of)
        if permissions is None:
            self._rest_keys[of] = key
        return key

    def rest_client(self, rest_key: str | None = None) -> BrazeRestClient:
        """The typed REST client (`braze_harness.BrazeRestClient`) on the emulator with `rest_key` (default
        `braze.rest_key()`), closed with the test."""
        client = BrazeRestClient(self.emulator_url, rest_key or self.rest_key())
        self._closing.append(client.close)
        return client

    def rest(self, path: str, body: dict[str, Any], *, rest_key: str | None = None) -> Any:
        """A REST call as a backend makes it (`/users/track`, `/users/export/ids`, `/messages/send`, ...; Bearer = a
        REST API key, default `braze.rest_key()` of the test's workspace) -> the JSON answer; a refusal raises
        HarnessError with Braze's message and errors. To check a refusal itself, use httpx on `braze.emulator_url`."""
        return self.client.rest(path, body, rest_key or self.rest_key())

    def reset(self) -> None:
        """Forget this scope's traffic and profiles (nothing else is touched)."""
        self.client.reset(self.scope)
        self._source.forget()
        self._apps = {k: v for k, v in self._apps.items() if self._shared_key and k == ("test", "web")}

    def close(self) -> None:
        for close in self._closing:
            close()
        self.client.drop_scope(self.scope)
