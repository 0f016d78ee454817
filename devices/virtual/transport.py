"""HTTP transport of a virtual device: JSON POSTs to `<base>/api/v3/<endpoint>` with the SDK's headers,
retries with backoff and `X-Braze-Req-Attempt`, `X-Braze-Last-Req-Ms-Ago` from the device clock.

Retry rules (docs/web-sdk-wire.md, retries; the mobile SDKs are taken to share them: docs/mobile-wire.md, transport):
* network errors, 5xx, 408 and 429 are retried after `min(max, uniform(min, max(prev, min) * scale))`
  (+ `Retry-After`), the server config's `request_backoff` replacing the defaults (10 s, x3, 300 s);
  the wait is `clock.sleep()`: the device clock moves on, the test does not wait;
* `X-Braze-Req-Attempt` counts tries per endpoint: 1 normally, +1 per failed try, back to 1 after a 2xx;
* a 2xx with `auth_error` (SDK authentication refused the signature) is retried the same way
  (exponential backoff: docs/server-behaviour.md, sdk-authentication); the data is not accepted;
* any other 4xx is not retried (the request is dropped, as a malformed one would be again);
* any other 2xx is delivered, even with `{"error": ...}` in it (the server has the data: no retry).
After `max_attempts` tries (or once the real waiting for one request would pass `max_real_wait`
seconds: the device is synchronous, a dead server must not block its caller for minutes) the caller
gets `retriable=True` back and re-queues the data, so nothing is lost: the next flush sends it again,
the attempt counter going on from where it stopped.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from braze_harness.devices.virtual.clock import DeviceClock

MAX_LAST_REQ_MS = 7_200_000  # capped at 7 200 000 (docs/mobile-wire.md, headers); also the value when there was none
RETRIABLE_STATUSES = frozenset({408, 429})


@dataclass(frozen=True, slots=True)
class Backoff:
    min_sleep_duration_ms: int = 10_000
    scale_factor: float = 3.0
    max_sleep_duration_ms: int = 300_000

    def next_delay(self, previous: float | None, rng: random.Random) -> float:
        low = self.min_sleep_duration_ms / 1000
        high = max(previous or low, low) * self.scale_factor
        return min(self.max_sleep_duration_ms / 1000, rng.uniform(low, max(low, high)))

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Backoff | None:
        if not config:
            return None
        default = cls()
        return cls(
            min_sleep_duration_ms=int(config.get("min_sleep_duration_ms", default.min_sleep_duration_ms)),
            scale_factor=float(config.get("scale_factor", default.scale_factor)),
            max_sleep_duration_ms=int(config.get("max_sleep_duration_ms", default.max_sleep_duration_ms)),
        )


@dataclass(slots=True)
class Attempt:
    """One try on the wire, as sent and as answered."""

    endpoint: str
    url: str
    attempt: int
    headers: dict[str, str]
    body: bytes
    sent_at: float  # device clock
    status: int | None = None
    response: Any = None  # parsed JSON, else text
    error: str | None = None  # network error
    response_headers: dict[str, str] = field(default_factory=dict)
    http_version: str | None = None  # what was negotiated ("HTTP/1.1", "HTTP/2")
    waited: float = 0.0  # backoff slept after this try (device seconds)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass(slots=True)
class Delivery:
    """The outcome of one request after its retries."""

    endpoint: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def last(self) -> Attempt:
        return self.attempts[-1]

    @property
    def status(self) -> int | None:
        return self.last.status if self.attempts else None

    @property
    def ok(self) -> bool:
        """The server accepted it (2xx without `auth_error`)."""
        return bool(self.attempts) and _accepted(self.last)

    @property
    def auth_error(self) -> dict[str, Any] | None:
        return _auth_error(self.last) if self.attempts else None

    @property
    def retriable(self) -> bool:
        """Failed in a way worth sending again later (the caller re-queues the data)."""
        return not self.ok and _retriable(self.last)

    @property
    def body(self) -> Any:
        return self.last.response if self.attempts else None


def _auth_error(attempt: Attempt) -> dict[str, Any] | None:
    response = attempt.response
    found = response.get("auth_error") if isinstance(response, dict) else None
    return found if isinstance(found, dict) else None


def _accepted(attempt: Attempt) -> bool:
    return attempt.status is not None and 200 <= attempt.status < 300 and _auth_error(attempt) is None


def _retriable(attempt: Attempt) -> bool:
    status = attempt.status
    return status is None or status >= 500 or status in RETRIABLE_STATUSES or _auth_error(attempt) is not None


def api_root(base_url: str) -> str:
    """`http://127.0.0.1:9090` -> `http://127.0.0.1:9090/api/v3`; a base already ending in `/api/v3` is kept;
    a bare host (`sdk.iad-01.braze.com`, the Android custom-endpoint form) gets `https://`."""
    if "://" not in base_url:
        base_url = f"https://{base_url}"
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v3"):
        path = f"{path}/api/v3"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Transport:
    def __init__(
        self,
        base_url: str,
        *,
        clock: DeviceClock,
        user_agent: str,
        accept_encoding: str,
        proxy: str | None = None,
        verify: Any = True,
        http2: bool = False,
        timeout: float = 15.0,
        max_attempts: int = 5,
        max_real_wait: float = 30.0,
        rng: random.Random | None = None,
        history: int = 1000,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.root = api_root(base_url)
        self.clock = clock
        self.user_agent = user_agent
        self.accept_encoding = accept_encoding
        self.max_attempts = max_attempts
        self.max_real_wait = max_real_wait
        self.backoff = Backoff()
        self.rng = rng or random.Random()
        self.history: deque[Attempt] = deque(maxlen=history)
        self.on_attempt: list[Callable[[Attempt], None]] = []
        self._client_args: dict[str, Any] = {
            "timeout": httpx.Timeout(timeout, connect=15.0),
            "trust_env": False,  # loopback or the given proxy, never the environment's
            "proxy": proxy,
            "verify": verify,
            "http2": http2,
        }
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._attempt: dict[str, int] = {}
        self._last_request: dict[str, float] = {}
        self._previous_delay: float | None = None

    def url(self, endpoint: str) -> str:
        return f"{self.root}/{endpoint}"

    def attempt_number(self, endpoint: str) -> int:
        return self._attempt.get(endpoint, 1)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(**self._client_args)
        return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def post(
        self,
        endpoint: str,
        body: Mapping[str, Any] | Callable[[int], Mapping[str, Any]],
        headers: Mapping[str, str] | Callable[[int], Mapping[str, str]],
        *,
        retry: bool = True,
    ) -> Delivery:
        """POST `body` with retries; never raises on HTTP trouble. `body` and `headers` may be functions
        of the attempt number (e.g. `BRAZE-SYNC-RETRY-COUNT`)."""
        delivery = Delivery(endpoint)
        with self._lock:
            tries = 0
            waited = 0.0
            while True:
                tries += 1
                number = self._attempt.get(endpoint, 1)
                payload = body(number) if callable(body) else body
                extra = headers(number) if callable(headers) else headers
                attempt = self._send_once(endpoint, payload, extra, number)
                delivery.attempts.append(attempt)
                if _accepted(attempt):
                    self._attempt[endpoint] = 1
                    self._previous_delay = None
                    return delivery
                if not _retriable(attempt):
                    self._attempt[endpoint] = 1  # dropped: the next request is a first try again
                    return delivery
                self._attempt[endpoint] = number + 1
                if not retry or tries >= self.max_attempts:
                    return delivery
                delay = self.backoff.next_delay(self._previous_delay, self.rng)
                wait = delay + _retry_after(attempt)
                if self.clock.real_sleep and waited + wait > self.max_real_wait:
                    return delivery  # re-queued by the caller; the next flush goes on
                self._previous_delay = delay
                attempt.waited = wait
                waited += wait
                self.clock.sleep(wait)

    def _send_once(self, endpoint: str, payload: Mapping[str, Any], headers: Mapping[str, str], number: int) -> Attempt:
        now = self.clock.now()
        last = self._last_request.get(endpoint)
        ms_ago = MAX_LAST_REQ_MS if last is None else min(MAX_LAST_REQ_MS, max(0, int((now - last) * 1000)))
        self._last_request[endpoint] = now
        sent_headers = {
            "Content-Type": "application/json",
            "Accept-Encoding": self.accept_encoding,
            "User-Agent": self.user_agent,
            **headers,
            "X-Braze-Last-Req-Ms-Ago": str(ms_ago),
            "X-Braze-Req-Attempt": str(number),
        }
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        url = self.url(endpoint)
        attempt = Attempt(endpoint, url, number, sent_headers, raw, now)
        try:
            response = self._http().post(url, content=raw, headers=sent_headers)
        except httpx.HTTPError as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
        else:
            attempt.status = response.status_code
            attempt.response = _parse(response)
            attempt.response_headers = {k.lower(): v for k, v in response.headers.items()}
            attempt.http_version = response.http_version
        self.history.append(attempt)
        for hook in self.on_attempt:
            hook(attempt)
        return attempt


def _parse(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _retry_after(attempt: Attempt) -> float:
    raw = attempt.response_headers.get("retry-after")
    if not raw:
        return 0.0
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - attempt.sent_at)
