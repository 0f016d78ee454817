"""A typed client of Braze's REST API as a backend calls it: the emulator's REST endpoints, or (for a staging smoke
run) a real Braze workspace, with the same code.

    rest = BrazeRestClient(braze.emulator_url, braze.rest_key())          # in a test
    rest = BrazeRestClient("https://rest.iad-01.braze.com", os.environ["BRAZE_REST_KEY"])   # a real workspace
    rest.users_track(attributes=[{"external_id": "u1", "tier": "vip"}])
    rest.campaigns_trigger_send("vip_welcome", recipients=[Recipient("u1", trigger_properties={"perk": "x"})])

Each call returns Braze's answer as a typed object (unknown fields kept in `raw`) and the rate limit the answer
carried; a refusal raises BrazeApiError with Braze's status, message and errors. `retries` (default 0) retries
429 and 5xx with Braze's advice: wait until `X-RateLimit-Reset` / `Retry-After`, else exponential backoff.
Written here rather than using a Braze SDK for Python: none is maintained by Braze, and the harness needs the
emulator's answers and Braze's to read the same way (docs/rest-api.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
from braze_harness.errors import HarnessError


class BrazeApiError(HarnessError):
    """Braze refused a REST call: `status`, Braze's `message` and `errors`, the `rate_limit` the answer carried."""

    def __init__(self, status: int, message: str, errors: list[Any], rate_limit: RateLimit | None, path: str) -> None:
        detail = f": {errors}" if errors else ""
        super().__init__(f"{path} -> {status} {message}{detail}")
        self.status = status
        self.message = message
        self.errors = errors
        self.rate_limit = rate_limit


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int  # UTC epoch seconds

    @classmethod
    def of(cls, headers: httpx.Headers) -> RateLimit | None:
        try:
            return cls(
                int(headers["x-ratelimit-limit"]), int(headers["x-ratelimit-remaining"]), int(headers["x-ratelimit-reset"])
            )
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class Answer:
    """Braze's JSON answer: `message`, non-fatal `errors`, the rest in `raw`; the rate limit it carried."""

    message: str
    errors: list[Any]
    raw: dict[str, Any]
    rate_limit: RateLimit | None

    @classmethod
    def of(cls, raw: dict[str, Any], rate_limit: RateLimit | None) -> Self:
        return cls(message=str(raw.get("message", "")), errors=list(raw.get("errors") or []), raw=raw, rate_limit=rate_limit)


@dataclass(frozen=True)
class TrackAnswer(Answer):
    @property
    def attributes_processed(self) -> int | None:
        return self.raw.get("attributes_processed")

    @property
    def events_processed(self) -> int | None:
        return self.raw.get("events_processed")

    @property
    def purchases_processed(self) -> int | None:
        return self.raw.get("purchases_processed")


@dataclass(frozen=True)
class SendAnswer(Answer):
    @property
    def dispatch_id(self) -> str:
        return str(self.raw.get("dispatch_id", ""))

    @property
    def send_id(self) -> str | None:
        return self.raw.get("send_id")


@dataclass(frozen=True)
class ExportAnswer(Answer):
    @property
    def users(self) -> list[dict[str, Any]]:
        return list(self.raw.get("users") or [])

    @property
    def invalid_user_ids(self) -> list[str]:
        return list(self.raw.get("invalid_user_ids") or [])


@dataclass(frozen=True)
class ContentBlockAnswer(Answer):
    @property
    def content_block_id(self) -> str:
        return str(self.raw.get("content_block_id", ""))

    @property
    def liquid_tag(self) -> str | None:
        return self.raw.get("liquid_tag")


@dataclass
class Recipient:
    """One recipient of an API-triggered send."""

    external_user_id: str
    trigger_properties: dict[str, Any] | None = None
    canvas_entry_properties: dict[str, Any] | None = None
    attributes: dict[str, Any] | None = None
    send_to_existing_only: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"external_user_id": self.external_user_id, **self.extra}
        for key in ("trigger_properties", "canvas_entry_properties", "attributes", "send_to_existing_only"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class BrazeRestClient:
    def __init__(
        self, base_url: str, rest_api_key: str, *, timeout: float = 10.0, retries: int = 0, max_wait_s: float = 60.0
    ) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, trust_env=False,
                                  headers={"Authorization": f"Bearer {rest_api_key}"})  # fmt: skip
        self.retries = retries
        self.max_wait_s = max_wait_s

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- users ------------------------------------------------------------------------------------------------

    def users_track(
        self,
        *,
        attributes: list[dict[str, Any]] = (),  # type: ignore[assignment]
        events: list[dict[str, Any]] = (),  # type: ignore[assignment]
        purchases: list[dict[str, Any]] = (),  # type: ignore[assignment]
        bulk: bool = False,
    ) -> TrackAnswer:
        """`/users/track` (`bulk`: the `X-Braze-Bulk: true` header Braze asks for on backfills)."""
        body = {k: list(v) for k, v in (("attributes", attributes), ("events", events), ("purchases", purchases)) if v}
        headers = {"X-Braze-Bulk": "true"} if bulk else None
        return self._post("/users/track", body, TrackAnswer, headers=headers)

    def users_export_ids(self, **body: Any) -> ExportAnswer:
        """`/users/export/ids`: `external_ids=[...]`, `user_aliases=[...]`, `braze_id=`, `fields_to_export=[...]`."""
        return self._post("/users/export/ids", body, ExportAnswer)

    def users_identify(self, aliases_to_identify: list[dict[str, Any]]) -> Answer:
        return self._post("/users/identify", {"aliases_to_identify": aliases_to_identify}, Answer)

    def users_alias_new(self, user_aliases: list[dict[str, Any]]) -> Answer:
        return self._post("/users/alias/new", {"user_aliases": user_aliases}, Answer)

    def users_alias_update(self, alias_updates: list[dict[str, Any]]) -> Answer:
        return self._post("/users/alias/update", {"alias_updates": alias_updates}, Answer)

    def users_merge(self, merge_updates: list[dict[str, Any]]) -> Answer:
        return self._post("/users/merge", {"merge_updates": merge_updates}, Answer)

    def users_external_ids_rename(self, external_id_renames: list[dict[str, str]]) -> Answer:
        return self._post("/users/external_ids/rename", {"external_id_renames": external_id_renames}, Answer)

    def users_external_ids_remove(self, external_ids: list[str]) -> Answer:
        return self._post("/users/external_ids/remove", {"external_ids": external_ids}, Answer)

    def users_delete(self, **body: Any) -> Answer:
        """`/users/delete`: `external_ids=[...]`, `braze_ids=[...]` or `user_aliases=[...]`."""
        return self._post("/users/delete", body, Answer)

    # -- messaging --------------------------------------------------------------------------------------------

    def messages_send(self, messages: dict[str, Any], **body: Any) -> SendAnswer:
        """`/messages/send`: `messages` ({"apple_push", "android_push", "web_push", "content_card"}) and
        `external_user_ids=`, `segment_id=`, `broadcast=`, `campaign_id=`, `recipient_subscription_state=`."""
        return self._post("/messages/send", {**body, "messages": messages}, SendAnswer)

    def campaigns_trigger_send(
        self,
        campaign_id: str,
        *,
        recipients: list[Recipient] | None = None,
        trigger_properties: dict[str, Any] | None = None,
        broadcast: bool | None = None,
        send_id: str | None = None,
    ) -> SendAnswer:
        body: dict[str, Any] = {"campaign_id": campaign_id}
        body |= _given(trigger_properties=trigger_properties, broadcast=broadcast, send_id=send_id)
        if recipients is not None:
            body["recipients"] = [r.to_json() for r in recipients]
        return self._post("/campaigns/trigger/send", body, SendAnswer)

    def canvas_trigger_send(
        self,
        canvas_id: str,
        *,
        recipients: list[Recipient] | None = None,
        canvas_entry_properties: dict[str, Any] | None = None,
        broadcast: bool | None = None,
    ) -> SendAnswer:
        body: dict[str, Any] = {"canvas_id": canvas_id}
        body |= _given(canvas_entry_properties=canvas_entry_properties, broadcast=broadcast)
        if recipients is not None:
            body["recipients"] = [r.to_json() for r in recipients]
        return self._post("/canvas/trigger/send", body, SendAnswer)

    # -- content blocks ---------------------------------------------------------------------------------------

    def content_blocks_create(self, name: str, content: str, **body: Any) -> ContentBlockAnswer:
        """`description=`, `state="active" | "draft"`, `tags=[...]`."""
        return self._post("/content_blocks/create", {"name": name, "content": content, **body}, ContentBlockAnswer)

    def content_blocks_update(self, content_block_id: str, **changes: Any) -> ContentBlockAnswer:
        return self._post("/content_blocks/update", {"content_block_id": content_block_id, **changes}, ContentBlockAnswer)

    def content_blocks_list(self, **params: Any) -> Answer:
        """`modified_after=`, `modified_before=`, `limit=`, `offset=`; `raw["content_blocks"]`."""
        return self._request("GET", "/content_blocks/list", None, Answer, params=params)

    def content_blocks_info(self, content_block_id: str) -> Answer:
        return self._request("GET", "/content_blocks/info", None, Answer, params={"content_block_id": content_block_id})

    # -- the wire ---------------------------------------------------------------------------------------------

    def _post[A: Answer](self, path: str, body: dict[str, Any], kind: type[A], headers: dict[str, str] | None = None) -> A:
        return self._request("POST", path, body, kind, headers=headers)

    def _request[A: Answer](
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        kind: type[A],
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> A:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, json=body, headers=headers, params=params)
            except httpx.HTTPError as exc:
                raise HarnessError(f"{path}: {type(exc).__name__}: {exc}") from None
            limit = RateLimit.of(response.headers)
            retryable = response.status_code == 429 or response.status_code >= 500
            if retryable and attempt < self.retries:
                time.sleep(self._wait_s(response, limit, attempt))
                attempt += 1
                continue
            try:
                raw = response.json()
            except ValueError:
                raw = {"message": response.text[:200]}
            raw = raw if isinstance(raw, dict) else {"message": str(raw)}
            if response.status_code >= 400:
                raise BrazeApiError(response.status_code, str(raw.get("message", "")), list(raw.get("errors") or []), limit, path)
            return kind.of(raw, limit)

    def _wait_s(self, response: httpx.Response, limit: RateLimit | None, attempt: int) -> float:
        """Braze's advice: until the window resets (429 with X-RateLimit-Reset), Retry-After, else backoff."""
        wait = 2.0**attempt * 0.5
        after = response.headers.get("retry-after")
        if after is not None and after.isdigit():
            wait = float(after)
        elif response.status_code == 429 and limit is not None:
            wait = max(limit.reset - time.time(), 0.0)
        return min(wait, self.max_wait_s)


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
