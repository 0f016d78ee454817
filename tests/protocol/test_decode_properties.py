"""Property tests of the decoder: it never raises, whatever it is given; limits are problems, decided per item."""

from __future__ import annotations

import json
from typing import Any

from braze_harness.protocol.decode import MAX_PROBLEMS, decode, decode_text
from braze_harness.protocol.wire import Limits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URLS = st.sampled_from(
    ["http://x/api/v3/data/", "http://x/api/v3/content_cards/sync", "http://x/api/v3/template/", "http://x/api/v3/other", "/x"]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=40
)
LIMITS = Limits(max_json_depth=8, max_identifier_bytes=32, max_events_per_request=20)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if depth % 2 else {"k": value}
    return value


EVENT_FIELDS = st.fixed_dictionaries(
    {"name": st.sampled_from(["ce", "ss", "p", "zz", 3]), "time": st.floats(0, 2e9) | st.text(max_size=3)},
    optional={"data": JSON, "user_id": st.text(max_size=40), "session_id": st.text(max_size=5), "alias": JSON},
)
ENVELOPE = st.fixed_dictionaries(
    {"api_key": st.just("k"), "device_id": st.text(max_size=40)},
    optional={
        "events": st.lists(EVENT_FIELDS | JSON | st.integers(0, 40).map(nested), max_size=25) | JSON,
        "attributes": st.lists(JSON, max_size=3),
        "user_id": st.text(max_size=40) | JSON,
        "respond_with": JSON,
        "device": st.integers(0, 40).map(nested) | JSON,
    },
)


@SETTINGS
@given(method=st.sampled_from(["POST", "GET", "OPTIONS"]), url=URLS, body=st.binary(max_size=200) | st.text(max_size=200))
def test_never_raises_on_any_bytes(method: str, url: str, body: bytes | str) -> None:
    decoded = decode(method, url, {"content-encoding": "gzip"}, body, limits=LIMITS)
    assert isinstance(decoded.problems, list)


@SETTINGS
@given(url=URLS, payload=ENVELOPE)
def test_never_raises_and_every_limit_is_a_problem(url: str, payload: dict[str, Any]) -> None:
    text = json.dumps(payload)
    decoded = decode_text("POST", url, {}, text, limits=LIMITS)
    assert len(decoded.problems) <= MAX_PROBLEMS + 1
    again = decode_text("POST", url, {}, text, limits=LIMITS)  # what the journal does when read: the same
    assert again.problems == decoded.problems and len(again.events) == len(decoded.events)
    events = payload.get("events") if decoded.body is not None else None  # (an envelope over a limit: none looked at)
    for index, event in enumerate(events if isinstance(events, list) else []):
        if isinstance(event, dict) and _depth(event) + 2 > LIMITS.max_json_depth and len(payload["events"]) <= 20:
            assert any(p.where == f"events[{index}]" and "max_json_depth" in p.message for p in decoded.problems)


@SETTINGS
@given(good=st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=5), depth=st.integers(7, 600), at=st.integers(0, 5))
def test_an_over_deep_event_is_rejected_by_its_index_its_neighbours_kept(good: list[str], depth: int, at: int) -> None:
    events: list[Any] = [{"name": "ce", "time": 1.0, "data": {"n": n}} for n in good]
    at = min(at, len(events))
    events.insert(at, {"name": "ce", "time": 1.0, "data": {"n": "deep", "p": nested(depth)}})
    decoded = decode_text(
        "POST", "http://x/api/v3/data/", {}, json.dumps({"api_key": "k", "device_id": "d", "events": events}), limits=LIMITS
    )
    assert [e.data.n for e in decoded.events] == good  # type: ignore[union-attr]
    assert [p.where for p in decoded.errors] == [f"events[{at}]"] or depth > 1000  # orjson refuses > 1024 whole


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0
