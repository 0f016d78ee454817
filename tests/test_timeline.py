"""The timeline picture's lanes from plain data (braze_harness.timeline): the test's calls on its apps (one lane each,
a raised call red with its error), the requests, the attributes set, the verdicts, all on one time axis."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from braze_harness.timeline import NO_CALLS, attribute_changes, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"
T0 = 1_800_000_000.0


def request(seq: int, at: float, *events: str, user: str | None = None) -> dict[str, Any]:
    return {
        "seq": seq, "at": T0 + at, "ms": 20.0, "method": "POST", "path": "/api/v3/data/", "status": 200, "good": True,
        "problems": [], "device": "d1", "user": user,
        "events": [{"name": "ce", "time": T0 + at, "user": user, "text": f"ce '{e}'"} for e in events],
    }  # fmt: skip


def call(lane: str, label: str, start: float, end: float, error: str | None = None) -> dict[str, Any]:
    return {"lane": lane, "name": label.split("(")[0], "label": label, "start": T0 + start, "end": T0 + end, "error": error}


def shapes(svg: str, kind: str, tag: str = "rect") -> list[ET.Element]:
    root = ET.fromstring(svg.encode())  # well-formed, or this raises
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == kind]


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg.encode()).iter(f"{SVG}text")]


def test_the_calls_lane_sits_on_the_requests_time_axis():
    requests = [request(1, 1.0, "opened"), request(2, 3.0, "signed_in", user="ada")]
    calls = [
        call("app", "launch()", 0.5, 0.9),
        call("app", 'log_event("signed_in")', 2.0, 2.05),
        call("app", "flush()", 2.1, 2.2),
        call("app 2", "launch()", 2.3, 2.6),
        call("app", 'log_event("")', 3.5, 3.6, error="ValueError: an event needs a name"),
    ]
    svg = timeline_svg(requests, [], calls=calls, standalone=True, title="t")

    bars = {float(r.get("x")): r for r in shapes(svg, "req")}
    first, second = sorted(bars)
    good = shapes(svg, "call")
    assert [b.find(f"{SVG}title").text for b in good] == [
        "app: launch() (400 ms)", 'app: log_event("signed_in") (50 ms)', "app: flush() (100 ms)", "app 2: launch() (300 ms)",
    ]  # fmt: skip
    x = {b.find(f"{SVG}title").text.split(" (")[0]: float(b.get("x")) for b in good}
    assert x["app: launch()"] < first  # the app started before its first request
    assert first < x['app: log_event("signed_in")'] < x["app: flush()"] < second  # the event's call, then its request
    lane_y = {b.find(f"{SVG}title").text.split(":")[0]: float(b.get("y")) for b in good}
    assert lane_y["app"] < lane_y["app 2"] < float(bars[first].get("y")), "a lane per app, above the requests"

    [bad] = shapes(svg, "call bad")
    assert bad.find(f"{SVG}title").text == 'app: log_event("") — ValueError: an event needs a name (100 ms)'
    assert [t.text for t in shapes(svg, "call bad", "text")] == ['log_event("") — ValueError: an event needs a name']
    assert {t.text for t in shapes(svg, "call", "text")} <= {"launch()", 'log_event("signed_in")', "flush()"}

    lines = texts(svg)
    assert "Test calls (5)" in lines
    assert '+1.50 s app: log_event("signed_in") 50 ms' in lines  # from the picture's start, with its lane: two apps
    assert '+3.00 s app: log_event("") — ValueError: an event needs a name 100 ms' in lines
    assert NO_CALLS not in lines
    assert lines.index("Test calls (5)") < lines.index("Requests (2)")


def test_calls_not_given_are_said_missing_and_an_empty_list_is_not():
    requests = [request(1, 1.0, "opened")]
    assert NO_CALLS in texts(timeline_svg(requests, [], standalone=True))
    assert NO_CALLS not in texts(timeline_svg(requests, [], calls=[], standalone=True))


def test_attributes_set_in_the_window_are_marks_with_name_and_value():
    profiles = [
        {
            "external_id": "ada",
            "attributes": {"first_name": "Ada", "custom": {"plan": "pro", "tags": ["a", "b"], "old": 1}},
            "attribute_set_at": {"first_name": T0 + 2.0, "custom": {"plan": T0 + 1.5, "tags": T0 + 2.5, "old": T0 - 50}},
        },
        {"braze_id": "0123456789abcdef", "attributes": {"custom": {}}, "attribute_set_at": {"custom": {}}},
    ]
    found = attribute_changes(profiles, T0, T0 + 10)
    assert [(a["at"] - T0, a["user"], a["name"], a["value"]) for a in found] == [
        (1.5, "ada", "custom.plan", "pro"),
        (2.0, "ada", "first_name", "Ada"),
        (2.5, "ada", "custom.tags", ["a", "b"]),
    ]  # the one set before the window is not the test's
    svg = timeline_svg([request(1, 1.0), request(2, 3.0)], [], calls=[], attributes=found, standalone=True)
    assert [m.find(f"{SVG}title").text for m in shapes(svg, "attr", "path")] == [
        "ada: custom.plan=pro", "ada: first_name=Ada", 'ada: custom.tags=["a", "b"]',
    ]  # fmt: skip
    labels = {m.text for m in shapes(svg, "attr", "text")}
    assert "custom.plan=pro" in labels and labels <= {"custom.plan=pro", "first_name=Ada", 'custom.tags=["a", "b"]'}
    lines = texts(svg)
    assert "Attributes set (3)" in lines and "+0.50 s ada: custom.plan=pro" in lines
    assert any("at its last set only" in t for t in lines)
