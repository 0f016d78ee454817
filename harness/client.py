"""HTTP client of the emulator's control API, and the remote Source expectations read through.

The plugin always goes through this client, even for the in-process emulator, so xdist workers
(which talk to one shared emulator) and a single process behave the same way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx
import orjson
from braze_harness.errors import HarnessConfigError, HarnessError, PerReplicaLimitation
from braze_harness.journal import JournalEntry, Query

_JSON_HEADERS = {"content-type": "application/json"}
TOKEN_ENV = "BRAZE_EMULATOR_TOKEN"
# health answers read to tell whether a URL reaches several replicas of a fleet (a round-robin balancer alternates)
_REPLICA_PROBES = 6
# the control token travels in its own header: `Authorization` is the REST calls' (their app's api key)
TOKEN_HEADER = "X-Emulator-Token"


def _bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


class EmulatorClient:
    """`token`: the emulator's control token (docs/security.md), default `$BRAZE_EMULATOR_TOKEN`; an emulator on
    loopback needs none unless it was given one."""

    def __init__(self, base_url: str, timeout: float = 10.0, *, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        token = token or os.environ.get(TOKEN_ENV) or None
        headers = {TOKEN_HEADER: token} if token else None
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False, headers=headers)
        self._per_replica: dict[str, str] | None = None  # what the replicas behind base_url each keep to themselves

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, *, timeout: float | None = None, **kw: Any) -> Any:
        try:
            resp = self._http.request(method, path, timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT, **kw)
        except httpx.ConnectError:
            raise HarnessConfigError(
                f"cannot reach the Braze emulator at {self.base_url}: start it with "
                f"`braze-harness emulator --port PORT`, or drop --braze-emulator-url to use the embedded one"
            ) from None
        except httpx.HTTPError as exc:
            raise HarnessError(f"emulator call {method} {path} failed: {exc}") from None
        if resp.status_code >= 400:
            try:
                answer = resp.json()
                message = answer.get("message") or answer.get("error", resp.text)
            except (ValueError, AttributeError):
                message = resp.text
            if resp.status_code == 401 and path.startswith("/_emulator/"):
                raise HarnessConfigError(
                    f"the emulator at {self.base_url} refused {method} {path}: {message} "
                    f"(give its token: --braze-emulator-token, or ${TOKEN_ENV})"
                )
            raise HarnessError(f"emulator refused {method} {path}: {resp.status_code} {message}")
        return resp.json()

    # -- control API ---------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._request("GET", "/_emulator/health")

    def per_replica(self) -> dict[str, str]:
        """What each replica behind base_url keeps to itself (docs/fleet.md), by part: empty unless base_url reaches
        more than one replica (a fleet behind a balancer) whose health names such parts. Asked once, then kept."""
        if self._per_replica is None:
            first = self.health()
            parts = dict(first.get("per_replica") or {})  # empty: one process (in memory), nothing to probe
            replicas = {first.get("replica")} | {self.health().get("replica") for _ in range(_REPLICA_PROBES if parts else 0)}
            self._per_replica = parts if len(replicas) > 1 else {}
        return self._per_replica

    def _one_replica(self, part: str) -> None:
        """Raise PerReplicaLimitation when `part` is kept per replica behind base_url: seeded through the balancer, it
        would reach one replica while the SDK's requests reach the others."""
        what = self.per_replica().get(part)
        if what is not None:
            raise PerReplicaLimitation(
                f"{what}: kept per replica, and {self.base_url} reaches several replicas of a fleet, so the SDK's "
                "requests would meet a replica without it (docs/fleet.md)"
            )

    def reset(self, scope: str | None = None) -> dict[str, Any]:
        return self._request("POST", "/_emulator/reset", params={"scope": scope} if scope else None)

    def create_scope(self, name: str | None = None) -> str:
        return self._request("POST", "/_emulator/scopes", json={"name": name} if name else {})["scope"]

    def drop_scope(self, scope: str) -> dict[str, Any]:
        return self._request("DELETE", f"/_emulator/scopes/{scope}")

    def create_app(
        self, scope: str, *, workspace: str = "test", platform: str = "web", api_key: str | None = None
    ) -> dict[str, str]:
        body: dict[str, Any] = {"workspace": workspace, "platform": platform}
        if api_key:
            body["api_key"] = api_key
        return self._request("POST", f"/_emulator/scopes/{scope}/apps", json=body)

    def claim_devices(self, scope: str, device_ids: list[str]) -> None:
        self._request("POST", f"/_emulator/scopes/{scope}/devices", json={"device_ids": device_ids})

    def post_calls(self, scope: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
        """Add the test's calls on its app (`Call.as_json()` each) to the scope, for the dashboard's timeline."""
        return self._request("POST", f"/_emulator/scopes/{scope}/calls", json={"calls": calls})

    def calls(self, scope: str) -> list[dict[str, Any]]:
        """The calls posted to the scope, in the order they began."""
        return self._request("GET", f"/_emulator/scopes/{scope}/calls")["calls"]

    def register_key(self, api_key: str, *, workspace: str = "default", platform: str = "web") -> dict[str, Any]:
        """A fixed api key in a shared workspace no test owns (idempotent): tests using it claim devices."""
        return self._request("POST", "/_emulator/keys", json={"api_key": api_key, "workspace": workspace, "platform": platform})

    def unowned(self, *, since: float | None = None, api_key: str | None = None, limit: int = 100) -> dict[str, Any]:
        """Recent SDK requests that belong to no test: `{"requests": [{seq, at, path, api_key, device_id, source}],
        "matched", "by_api_key", "total"}`."""
        params: dict[str, Any] = {"limit": limit}
        if since is not None:
            params["since"] = since
        if api_key:
            params["api_key"] = api_key
        return self._request("GET", "/_emulator/unowned", params=params)

    def profiles(self, **selector: str | None) -> list[dict[str, Any]]:
        params = {k: v for k, v in selector.items() if v}
        return self._request("GET", "/_emulator/profiles", params=params)["profiles"]

    def entries(self, query: Query | None = None) -> list[JournalEntry]:
        data = self._request("GET", "/_emulator/requests", params=(query or Query()).to_params())
        return [JournalEntry.from_json(e) for e in data["entries"]]

    def stats(self, scope: str | None = None) -> dict[str, Any]:
        return self._request("GET", "/_emulator/stats", params={"scope": scope} if scope else None)

    def errors(self, scope: str | None = None, *, after: int = 0) -> list[dict[str, Any]]:
        """Errors raised inside the emulator (`GET /_emulator/errors`): one scope's, newer than incident `after`.
        Each: `{"seq", "at", "scope", "where", "error", "traceback"}`."""
        params: dict[str, Any] = {"after": after}
        if scope:
            params["scope"] = scope
        return self._request("GET", "/_emulator/errors", params=params)["errors"]

    def drift(self, scope: str | None = None) -> dict[str, Any]:
        return self._request("GET", "/_emulator/drift", params={"scope": scope} if scope else None)

    def ingest(self, exchange: dict[str, Any]) -> dict[str, Any]:
        """Journal an exchange the emulator did not answer (`POST /_emulator/ingest`): `{"method", "url",
        "headers", "body", "status", "response", "source"}` (see `braze_harness.protocol.ingest_payload.payload`)."""
        return self._request("POST", "/_emulator/ingest", json=exchange)

    def ingest_many(self, exchanges: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`POST /_emulator/ingest/batch`: one call for many exchanges; per item `{seq, scope, good}` or `{error}`."""
        # orjson, not httpx's json=: batches of request bodies are the proxy's hot path in observe mode
        body = orjson.dumps({"exchanges": exchanges})
        return self._request("POST", "/_emulator/ingest/batch", content=body, headers=_JSON_HEADERS)["entries"]

    def add_fault(self, scope: str, **spec: Any) -> dict[str, Any]:
        """`POST /_emulator/scopes/{scope}/faults` (see braze_harness.emulator.faults)."""
        self._one_replica("faults")
        return self._request("POST", f"/_emulator/scopes/{scope}/faults", json=spec)["fault"]

    def faults(self, scope: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/_emulator/scopes/{scope}/faults")["faults"]

    def clear_faults(self, scope: str) -> int:
        return self._request("DELETE", f"/_emulator/scopes/{scope}/faults")["cleared"]

    def set_sdk_auth(self, api_key: str, *, mode: str, public_keys: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        """`PUT /_emulator/apps/{api_key}/sdk_auth` (see braze_harness.emulator.sdk_auth)."""
        self._one_replica("sdk_auth")
        body = {"mode": mode, "public_keys": public_keys or [], **extra}
        return self._request("PUT", f"/_emulator/apps/{api_key}/sdk_auth", json=body)

    def sdk_auth(self, api_key: str) -> dict[str, Any]:
        return self._request("GET", f"/_emulator/apps/{api_key}/sdk_auth")

    # -- messaging (harness/emulator/messaging/routes.py) -------------------------------------------

    def seed_messaging(
        self,
        scope: str,
        *,
        segments: Sequence[dict[str, Any]] = (),
        campaigns: Sequence[dict[str, Any]] = (),
        canvases: Sequence[dict[str, Any]] = (),
    ) -> dict[str, list[str]]:
        """`POST .../messaging`: seed definitions (all validated first; a mistake raises HarnessError naming the field)."""
        self._one_replica("messaging")
        body = {"segments": list(segments), "campaigns": list(campaigns), "canvases": list(canvases)}
        return self._request("POST", f"/_emulator/scopes/{scope}/messaging", json=body)

    def describe_messaging(self, scope: str) -> dict[str, Any]:
        """`GET .../messaging`: what is seeded (+ trigger ids, template renders, rate-limited syncs)."""
        return self._request("GET", f"/_emulator/scopes/{scope}/messaging")

    def remove_campaign(self, scope: str, campaign_id: str) -> dict[str, Any]:
        """`DELETE .../campaigns/{id}`: a campaign or a canvas."""
        return self._request("DELETE", f"/_emulator/scopes/{scope}/campaigns/{campaign_id}")

    def segment_members(self, scope: str, segment_id: str) -> list[dict[str, Any]]:
        """`GET .../segments/{id}/members`: `[{"braze_id", "external_id"}]`."""
        return self._request("GET", f"/_emulator/scopes/{scope}/segments/{segment_id}/members")["members"]

    def metrics(self, scope: str, campaign_id: str | None = None) -> dict[str, Any]:
        """`GET .../metrics[?campaign=id]`: one campaign's (or canvas's) totals/uniques/by_user, or all of them."""
        params = {"campaign": campaign_id} if campaign_id else None
        return self._request("GET", f"/_emulator/scopes/{scope}/metrics", params=params)

    def canvas_progress(self, scope: str, canvas_id: str) -> dict[str, Any]:
        """`GET .../canvases/{id}/progress`: `{"canvas", "now", "clock_offset", "users": {user key: progress}}`."""
        return self._request("GET", f"/_emulator/scopes/{scope}/canvases/{canvas_id}/progress")

    def clock(self, scope: str) -> dict[str, float]:
        """`GET .../clock`: `{"clock_offset", "now"}` of the scope's messaging clock."""
        return self._request("GET", f"/_emulator/scopes/{scope}/clock")

    def advance_clock(self, scope: str, seconds: float) -> dict[str, float]:
        """`POST .../clock {"advance": s}`: move the scope's clock on; `{"clock_offset", "now"}`."""
        self._one_replica("clocks")
        return self._request("POST", f"/_emulator/scopes/{scope}/clock", json={"advance": seconds})

    def set_messaging_options(self, scope: str, *, content_cards_rate_limit: bool | dict[str, float] | None) -> dict[str, Any]:
        """`PUT .../messaging/options`: the Content Cards rate limit (True, False, {capacity, refill_seconds}, None:
        the emulator's setting); `{"content_cards_rate_limit": active limit or None}`."""
        self._one_replica("messaging")
        body = {"content_cards_rate_limit": content_cards_rate_limit}
        return self._request("PUT", f"/_emulator/scopes/{scope}/messaging/options", json=body)

    def messaging_why(self, scope: str, **query: str | None) -> dict[str, Any]:
        """`GET .../messaging/why` (campaign=, user_id=, device_id=, channel=): why campaigns were or weren't served,
        `{"decisions": [...], "verdicts": {campaign: sentence}}` (harness/emulator/messaging/why.py)."""
        params = {k: v for k, v in query.items() if v}
        return self._request("GET", f"/_emulator/scopes/{scope}/messaging/why", params=params)

    # -- push (harness/emulator/push/routes.py) -------------------------------------------------------

    def send_push(self, scope: str, request: dict[str, Any]) -> dict[str, Any]:
        """`POST .../push/send` (`external_ids` | `segment_id` | `broadcast`, `message` or `messages`, ...):
        `{"dispatch_id", "campaign_id", "deliveries", "skipped"}`."""
        self._one_replica("push")
        return self._request("POST", f"/_emulator/scopes/{scope}/push/send", json=request)

    def push_outbox(self, scope: str, device_id: str, *, drain: bool = False) -> list[dict[str, Any]]:
        """`GET .../push/outbox/{device_id}[?drain=1]`: the deliveries waiting for the device."""
        params = {"drain": "1"} if drain else None
        return self._request("GET", f"/_emulator/scopes/{scope}/push/outbox/{device_id}", params=params)["deliveries"]

    def push_dispatch(self, scope: str, dispatch_id: str) -> dict[str, Any]:
        """`GET .../push/dispatches/{id}`: one send's result."""
        return self._request("GET", f"/_emulator/scopes/{scope}/push/dispatches/{dispatch_id}")

    # -- REST subset (harness/emulator/rest.py, /messages/send) ---------------------------------------

    def rest(self, path: str, body: dict[str, Any], api_key: str) -> Any:
        """A REST call as a backend makes it (`POST path`, `Authorization: Bearer api_key`) -> the JSON answer;
        a refusal raises HarnessError with Braze's message."""
        return self._request("POST", path, json=body, headers=_bearer(api_key))

    def rest_response(self, path: str, body: dict[str, Any], api_key: str) -> httpx.Response:
        """The same call, answered raw (status and Braze's JSON for the caller to check; nothing raised)."""
        return self._http.post(path, json=body, headers=_bearer(api_key))

    def create_rest_key(
        self,
        scope: str,
        *,
        workspace: str = "test",
        permissions: list[str] | None = None,
        name: str | None = None,
        api_key: str | None = None,
    ) -> str:
        """A REST API key of one of the scope's workspaces, or of app `api_key`'s workspace (`permissions` None:
        all of them) -> the key."""
        self._one_replica("rest_keys")
        body = {"workspace": workspace, "permissions": permissions, "name": name, "api_key": api_key}
        return self._request("POST", f"/_emulator/scopes/{scope}/rest_keys", json=body)["rest_api_key"]

    def set_rest_rate_limits(
        self, scope: str, *, enabled: bool = True, limits: dict[str, tuple[int, float]] | None = None
    ) -> dict[str, Any]:
        """The REST rate limits of the scope's workspaces: `limits={"users/track": (5, 60)}` (requests, window in
        seconds) per group (docs/rest-api.md); `enabled=False` turns them off. Returns the limits in effect."""
        self._one_replica("rest_keys")
        body = {"enabled": enabled, "limits": {g: {"limit": n, "window_s": w} for g, (n, w) in (limits or {}).items()}}
        return self._request("PUT", f"/_emulator/scopes/{scope}/rest_rate_limits", json=body)

    # -- the CSV user import (docs/csv-import.md) ----------------------------------------------------------

    def import_users(
        self,
        api_key: str,
        csv: bytes | str | Iterable[bytes],
        *,
        kind: str = "attributes",
        update_existing_only: bool = False,
        timeout: float = 600.0,
    ) -> dict[str, Any]:
        """Import users from a CSV file (Braze's format) into the workspace of `api_key`'s app -> the report
        (`rows`, `imported`, `skipped`, `issues`, ...). `csv` may be an iterable of byte chunks, streamed as is."""
        content = csv.encode() if isinstance(csv, str) else csv
        params = {"kind": kind, "update_existing_only": str(update_existing_only).lower()}
        return self._request(
            "POST", f"/_emulator/apps/{api_key}/users/import", content=content, params=params,
            headers={"content-type": "text/csv"}, timeout=timeout,
        )  # fmt: skip

    # -- the journal -----------------------------------------------------------------------------------

    def wait(self, after_seq: int, timeout: float, scope: str | None = None) -> tuple[bool, int]:
        params: dict[str, Any] = {"after_seq": after_seq, "timeout": timeout}
        if scope:
            params["scope"] = scope
        data = self._request("GET", "/_emulator/requests/wait", params=params, timeout=timeout + 10)
        return data["changed"], data["latest_seq"]


class RemoteSource:
    """A scope's traffic through the control API; entries are fetched incrementally and cached."""

    def __init__(
        self, client: EmulatorClient, scope: str | None, *, workspace_keys: Callable[[], dict[str, str]] | None = None
    ) -> None:
        self.client = client
        self.scope = scope
        self._workspace_keys = workspace_keys  # api key -> workspace name (expect/workspaces.py); None: not known
        self.verdicts: Any = None  # a VerdictLog: each expectation's verdict (expect/verdicts.py); None: not kept
        self._cache: list[JournalEntry] = []
        self._latest = 0

    def entries(self, after_seq: int = 0) -> list[JournalEntry]:
        fresh = self.client.entries(Query(scope=self.scope, after_seq=self._cache[-1].seq if self._cache else 0))
        self._cache.extend(fresh)
        return [e for e in self._cache if e.seq > after_seq]

    def latest_seq(self) -> int:
        return self._cache[-1].seq if self._cache else 0

    def wait(self, after_seq: int, timeout: float) -> bool:
        remaining = timeout
        deadline = time.monotonic() + timeout
        while remaining > 0:
            changed, _ = self.client.wait(after_seq, min(remaining, 25.0), self.scope)
            if changed:
                return True
            remaining = deadline - time.monotonic()
        return False

    def forget(self) -> None:
        self._cache.clear()

    def messaging_why(self, **query: str | None) -> dict[str, Any]:
        """Why campaigns were or weren't served in this scope (expect/why.py appends it to messaging failures)."""
        if self.scope is None:
            return {"decisions": [], "verdicts": {}}
        return self.client.messaging_why(self.scope, **query)

    def workspace_keys(self) -> dict[str, str] | None:
        return self._workspace_keys() if self._workspace_keys is not None else None

    def profiles(
        self, *, external_id: str | None = None, device_id: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        return self.client.profiles(external_id=external_id, device_id=device_id, api_key=api_key, scope=self.scope)
