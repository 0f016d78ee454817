"""A test's (or a scope's) traffic as one picture on one time axis: a self-contained SVG, no dependency.

Lanes, top to bottom: the test's own calls on the app (`launch()`, `log_event("x")`: a bar each from its start to its
end with its label under it, red with the error's first line when it raised; one lane per app); the SDK requests of the
scope (a bar each, at the time it was journaled and as long as it took; red when the harness refused it) with their
events as dots inside; the state changes the journal shows (a device's user changing at a login or logout, a session
starting or ending: from the requests' events); the profile attributes set (`name=value`, at the time the state noted,
the setting request's); each expectation's wait from its start to its verdict (green held, red failed, grey
interrupted), with a line at the verdict. A standalone picture (`standalone=True`: a file, an Allure attachment, the
dashboard) carries its own style and lists the calls, the requests, the attributes and the verdicts as text under the
axis, since an `<img>` shows no hover title.

What it cannot draw: an attribute set twice shows at its last set only (the state keeps when each attribute was last
set, not its history); calls it was not given (`calls=None`: said under the listing).

Input is plain data (`request_data` of each journal entry, `Call.as_json()` of each call, `attribute_changes` of the
profiles, `Verdict.as_json()` of each verdict), all times unix seconds, so a pytest-xdist worker's report data, the
plugin and the emulator's dashboard draw the same picture.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from braze_harness.journal import JournalEntry
from braze_harness.journal.entry import describe_event

WIDTH, LEFT, RIGHT = 960, 10, 10
LANE = 22
TOP_Y = 22  # the first lane, under the axis
CALL_H, CALL_ROWS = 10, 2  # a calls lane: its bars, then its rows of labels
STATE_ROWS, STATE_LINE = 2, 11  # the state changes' (and the attributes') lane: its rows of labels
STATE_H = 12 + STATE_ROWS * STATE_LINE  # the marks, then the rows of labels under them
CALL_LANE = CALL_H + 4 + CALL_ROWS * STATE_LINE
MIN_LABEL = 24  # characters a label keeps at least when cut at the picture's right edge
VERDICT_ROWS, VERDICT_STEP = 4, 8
LISTED = 60  # requests listed as text in a standalone picture (the rest counted)
LINE = 14
LEGEND = (
    "grey: the test's calls · blue: SDK requests · red: raised or refused · dots: events · purple: user, session · "
    "teal: attributes set · lines: expectations' waits (green held, red failed)"
)
NO_CALLS = "Not drawn: the test's calls on the app (none were given for this picture)."
ATTRIBUTES_NOTE = "An attribute set more than once shows at its last set only (the profile keeps no history)."

STYLE = """
svg{font:12px system-ui,sans-serif}
.req{fill:#4a7bd0}.req.bad{fill:#d32f2f}.event{fill:#fff;stroke:#123;stroke-width:.8}
.tick{stroke:#999;fill:#666;font-size:10px}text.tick{stroke:none}
.state{fill:#8e44ad}text.state{font-size:10px}
.call{fill:#7a7f87}.call.bad{fill:#d32f2f}text.call{font:10px ui-monospace,monospace;fill:#333}text.call.bad{fill:#b00020}
text.lane{font-size:10px;fill:#999}.attr{fill:#00897b}text.attr{font-size:10px}
.verdict .wait{stroke-width:4;stroke-opacity:.35}.verdict .at{stroke-width:1.5}
.v-held line{stroke:#2e7d32}.v-failed line{stroke:#d32f2f}.v-interrupted line{stroke:#888}
text.list{font:11px ui-monospace,monospace;fill:#222}text.list.bad,text.list.v-failed{fill:#b00020}
text.list.v-held{fill:#2e7d32}text.head{font-weight:600;fill:#222}text.note{fill:#666;font-size:11px}
"""


def request_data(entry: JournalEntry) -> dict[str, Any]:
    """What the timeline draws of one journal entry, as plain (JSON) data."""
    req = entry.request
    return {
        "seq": entry.seq,
        "at": entry.received_at,
        "ms": entry.duration_ms,
        "method": req.method,
        "path": req.path,
        "status": entry.exchange.status,
        "good": entry.good,
        "problems": [f"{p.severity} {p}" for p in entry.problems],
        "device": entry.device_id,
        "user": _user(entry),
        "events": [{"name": e.name, "time": e.time, "user": e.user_id, "text": describe_event(e)[:200]} for e in entry.events],
    }


def _user(entry: JournalEntry) -> str | None:
    """Whom the request speaks for: its envelope's user, else its last event's ("" anonymous); None: it says nothing."""
    req = entry.request
    if req.body is not None and req.body.user_id:
        return req.body.user_id
    if req.events:
        return req.events[-1].user_id or ""
    return None


def verdict_state(v: dict[str, Any]) -> str:
    """held | failed | interrupted (the wait ended by another exception, never reaching a verdict)."""
    if not v["passed"]:
        return "failed"
    return "held" if v["finished"] else "interrupted"


def state_changes(requests: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """(when, what) for each request that shows a change: a device's user changing, a session starting or ending."""
    users: dict[str | None, str] = {}
    changes: list[tuple[float, str]] = []
    for r in requests:
        what = []
        for e in r["events"]:
            if e["name"] in ("ss", "se"):
                what.append("session " + ("start" if e["name"] == "ss" else "end"))
        user, device = r.get("user"), r.get("device")
        if user is not None:
            before = users.get(device)
            if before is not None and before != user:
                what.append(f"user {before or 'anonymous'} → {user or 'anonymous'}")
            elif before is None and user:
                what.append(f"user {user}")
            users[device] = user
        if what:
            changes.append((r["at"], ", ".join(what)))
    return changes


def attribute_changes(
    profiles: list[dict[str, Any]], start: float | None = None, stop: float | None = None
) -> list[dict[str, Any]]:
    """Each attribute the profiles (their JSON: `attribute_set_at`, `attributes`) had set between `start` and `stop`
    (unix seconds; None: no bound), oldest first: `{"at", "user", "name", "value"}` (`name` of a custom one as
    `custom.name`). Only the last set of each is known."""
    found = []
    for p in profiles:
        user = p.get("external_id") or (p.get("braze_id") or "?")[:8]
        set_at, values = p.get("attribute_set_at") or {}, p.get("attributes") or {}
        pairs = [(k, t, values.get(k)) for k, t in set_at.items() if k != "custom"]
        pairs += [(f"custom.{k}", t, (values.get("custom") or {}).get(k)) for k, t in (set_at.get("custom") or {}).items()]
        for name, at, value in pairs:
            if (start is None or at >= start) and (stop is None or at <= stop):
                found.append({"at": at, "user": user, "name": name, "value": value})
    return sorted(found, key=lambda a: (a["at"], a["user"], a["name"]))


def timeline_svg(
    requests: list[dict[str, Any]],
    verdicts: list[dict[str, Any]],
    *,
    calls: list[dict[str, Any]] | None = None,
    attributes: Sequence[dict[str, Any]] = (),
    start: float | None = None,
    stop: float | None = None,
    title: str = "",
    more_requests: int = 0,
    more_calls: int = 0,
    standalone: bool = False,
    notes: tuple[str, ...] = (),
) -> str:
    """The picture, from `start` to `stop` (unix seconds; default: the first and last thing drawn). `calls`: the
    test's calls on its apps (`Call.as_json()` each; None: not known, which a standalone picture says), `more_calls`
    and `more_requests` those left out (counted); `attributes`: `attribute_changes(...)`; `notes`: what a standalone
    picture adds under its listing."""
    given = calls or []
    attributes = list(attributes)
    times = [r["at"] for r in requests] + [v["started"] for v in verdicts] + [c["start"] for c in given]
    times += [a["at"] for a in attributes] + ([start] if start is not None else [])
    ends = [r["at"] + (r["ms"] or 0) / 1000 for r in requests] + [v["started"] + v["waited"] for v in verdicts]
    ends += [c["end"] if c.get("end") is not None else c["start"] for c in given] + [a["at"] for a in attributes]
    ends += [stop] if stop is not None else []
    if not times and not standalone:
        return '<svg class="timeline" role="img" width="0" height="0"></svg>'
    t0 = min(times, default=0.0)
    t1 = max(max(ends, default=t0), t0 + 0.001)
    span = t1 - t0
    inner = WIDTH - LEFT - RIGHT

    def x(at: float) -> float:
        return LEFT + (at - t0) / span * inner

    top = 2 * LINE if standalone else 0  # the title and legend of a standalone picture
    shapes = [_axis(span, x, t0)]
    lanes = list(dict.fromkeys(c["lane"] for c in given))
    y = TOP_Y
    for lane in lanes:
        shapes += _calls([c for c in given if c["lane"] == lane], lane, x, y)
        y += CALL_LANE
    requests_y = y
    shapes += _requests(requests, x, span, inner, requests_y)
    state_y = requests_y + LANE + 2
    shapes += _marks([(at, what, what) for at, what in state_changes(requests)], x, state_y, "state")
    verdict_y = state_y + STATE_H + 4
    if attributes:
        shapes += _marks(
            [(a["at"], _attribute(a), f"{a['user']}: {_attribute(a, 200)}") for a in attributes], x, verdict_y, "attr"
        )
        verdict_y += STATE_H + 4
    shapes += _verdicts(verdicts, x, verdict_y)
    chart = verdict_y + VERDICT_ROWS * VERDICT_STEP + 6
    if standalone:
        notes = (*notes, *((NO_CALLS,) if calls is None else ()), *((ATTRIBUTES_NOTE,) if attributes else ()))
        listing = _listing(requests, verdicts, given, attributes, t0, chart + LINE, (more_requests, more_calls), notes)
    else:
        listing = []
    height = top + chart + len(listing) * LINE + (LINE if listing else 0)
    desc = f"{len(requests) + more_requests} request(s) and {len(verdicts)} expectation verdict(s) over {span:.2f} s"
    if given:
        desc = f"{len(given) + more_calls} call(s) on the app, " + desc
    body = f'<g transform="translate(0 {top})">{"".join(shapes)}{"".join(listing)}</g>'
    if not standalone:
        return (
            f'<svg class="timeline" role="img" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}"><desc>{escape(desc)}</desc>{body}</svg>'
        )
    head = (
        f'<text class="head" x="{LEFT}" y="{LINE - 2}">{escape(title or "Braze timeline")} — {escape(desc)}</text>'
        f'<text class="note" x="{LEFT}" y="{2 * LINE - 3}">{escape(LEGEND)}</text>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg class="timeline" role="img" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(title or "Braze timeline")}</title><desc>{escape(desc)}</desc>'
        f'<style>{STYLE}</style><rect width="100%" height="100%" fill="#fff"/>{head}{body}</svg>\n'
    )


def _attribute(a: dict[str, Any], most: int = 40) -> str:
    value = a["value"]
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = f"{a['name']}={shown}"
    return text if len(text) <= most else text[: most - 1] + "…"


def _call_text(c: dict[str, Any]) -> str:
    return c["label"] + (f" — {c['error']}" if c.get("error") else "")


def _calls(calls: list[dict[str, Any]], lane: str, x: Callable[[float], float], y: float) -> list[str]:
    """One app's calls: a bar each from its start to its end, red when it raised; labels in rows under the bars."""
    shapes = [f'<text class="lane" x="{WIDTH - RIGHT}" y="{y + CALL_H - 1}" text-anchor="end">{escape(lane)}</text>']
    taken: list[list[tuple[float, float]]] = [[] for _ in range(CALL_ROWS)]
    for c in calls:
        x0 = x(c["start"])
        x1 = x(c["end"]) if c.get("end") is not None else x0
        kind = "call bad" if c.get("error") else "call"
        took = f" ({(c['end'] - c['start']) * 1000:.0f} ms)" if c.get("end") is not None else " (no end)"
        tip = f"{lane}: {_call_text(c)}{took}"
        shapes.append(
            f'<rect class="{kind}" x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 3.0):.1f}" height="{CALL_H}" rx="1">'
            f"<title>{escape(tip)}</title></rect>"
        )
        shapes += _label(_call_text(c), x0, y + CALL_H + 10, taken, kind)
    return shapes


def _label(text: str, px: float, y: float, taken: list[list[tuple[float, float]]], kind: str) -> list[str]:
    """`text` under the mark at `px`, in the first of the rows (`taken`: each row's labels) where it overlaps none: from
    the mark rightwards (cut to the picture's edge when at least MIN_LABEL characters fit), else ending under it;
    nothing when no row has room (the mark's hover title still says it)."""
    per_char = 6.1 if kind.startswith("call") else 5.5  # the calls' labels are monospace
    label = text if len(text) <= 60 else text[:59] + "…"
    room = int((WIDTH - RIGHT - px + 4) // per_char)  # characters that fit from the mark to the edge
    placements = []
    if room >= min(len(label), MIN_LABEL):
        fits = label if len(label) <= room else label[: room - 1] + "…"
        placements.append((fits, px - 4, ""))
    placements.append((label, px + 4 - per_char * len(label), ' text-anchor="end"'))
    for shown, x0, anchor in placements:
        width = per_char * len(shown)
        row = next((i for i, spans in enumerate(taken) if all(x0 + width < a or x0 > b for a, b in spans)), None)
        if row is not None:
            taken[row].append((x0, x0 + width))
            lx = px + 4 if anchor else px - 4
            return [f'<text class="{kind}" x="{lx:.1f}" y="{y + row * STATE_LINE}"{anchor}>{escape(shown)}</text>']
    return []


def _requests(requests: list[dict[str, Any]], x: Callable[[float], float], span: float, inner: float, y: float) -> list[str]:
    shapes = []
    for r in requests:
        x0 = x(r["at"])
        w = max((r["ms"] or 0) / 1000 / span * inner, 4.0)
        tip = _request_line(r) + "".join(f"\n{p}" for p in r["problems"])
        shapes.append(
            f'<rect class="{"req" if r["good"] else "req bad"}" x="{x0:.1f}" y="{y}" width="{w:.1f}" '
            f'height="{LANE - 4}" rx="2"><title>{escape(tip)}</title></rect>'
        )
        cy = y + (LANE - 4) / 2
        for i, e in enumerate(r["events"]):
            ex = x0 + min(2 + i * 4, w - 2)
            shapes.append(
                f'<circle class="event" cx="{ex:.1f}" cy="{cy:.1f}" r="2.5"><title>{escape(e["text"])}</title></circle>'
            )
    return shapes


def _marks(marks: list[tuple[float, str, str]], x: Callable[[float], float], y: float, kind: str) -> list[str]:
    """A lane of (when, label, hover text) marks: a diamond each, the labels in rows under them."""
    shapes = []
    taken: list[list[tuple[float, float]]] = [[] for _ in range(STATE_ROWS)]  # each row's labels: they never overlap
    for at, label, tip in marks:
        px = x(at)
        mark = f"M{px:.1f} {y + 1} l4 5 l-4 5 l-4 -5 z"
        shapes.append(f'<path class="{kind}" d="{mark}"><title>{escape(tip)}</title></path>')
        shapes += _label(label, px, y + 20, taken, kind)
    return shapes


def _verdicts(verdicts: list[dict[str, Any]], x: Callable[[float], float], y0: float) -> list[str]:
    shapes = []
    for i, v in enumerate(verdicts):
        y = y0 + (i % VERDICT_ROWS) * VERDICT_STEP
        x0, x1 = x(v["started"]), x(v["started"] + v["waited"])
        state = verdict_state(v)
        shapes.append(
            f'<g class="verdict v-{state}"><title>{escape(_verdict_line(v))}</title>'
            f'<line class="wait" x1="{x0:.1f}" y1="{y}" x2="{max(x1, x0 + 1):.1f}" y2="{y}"/>'
            f'<line class="at" x1="{x1:.1f}" y1="18" x2="{x1:.1f}" y2="{y + 3}"/></g>'
        )
    return shapes


def _listing(
    requests: list[dict[str, Any]],
    verdicts: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    attributes: list[dict[str, Any]],
    t0: float,
    y: float,
    left_out: tuple[int, int],
    notes: tuple[str, ...],
) -> list[str]:
    """The calls, requests, attributes and verdicts as text lines (a standalone picture: no hover there);
    `left_out`: the requests and the calls not given, counted."""
    more, more_calls = left_out
    lines: list[tuple[str, str]] = []
    if calls:
        lines.append(("head", f"Test calls ({len(calls) + more_calls})"))
        lanes = len({c["lane"] for c in calls}) > 1
        for c in calls[:LISTED]:
            took = f" {(c['end'] - c['start']) * 1000:.0f} ms" if c.get("end") is not None else " (no end)"
            text = f"+{c['start'] - t0:.2f} s " + (f"{c['lane']}: " if lanes else "") + _call_text(c) + took
            lines.append(("list bad" if c.get("error") else "list", _cut(text)))
        if len(calls) + more_calls > LISTED:
            lines.append(("list", f"... and {len(calls) + more_calls - min(len(calls), LISTED)} more"))
    lines.append(("head", f"Requests ({len(requests) + more})"))
    shown = requests[:LISTED]
    for r in shown:
        events = ", ".join(e["text"] for e in r["events"])
        text = _request_line(r) + (f" — {events}" if events else "")
        lines.append(("list" if r["good"] else "list bad", _cut(text)))
    if len(requests) + more > len(shown):
        lines.append(("list", f"... and {len(requests) + more - len(shown)} more"))
    if attributes:
        lines.append(("head", f"Attributes set ({len(attributes)})"))
        for a in attributes[:LISTED]:
            lines.append(("list", _cut(f"+{a['at'] - t0:.2f} s {a['user']}: {_attribute(a, 120)}")))
        if len(attributes) > LISTED:
            lines.append(("list", f"... and {len(attributes) - LISTED} more"))
    if verdicts:
        lines.append(("head", f"Expectations ({len(verdicts)})"))
        for v in verdicts:
            matched = ", ".join(f"#{seq}" for seq in v.get("matched", [])[:10])
            text = _verdict_line(v) + (f" — matched {matched}" if matched else "")
            lines.append((f"list v-{verdict_state(v)}", _cut(text)))
    lines += [("note", note) for note in notes]
    return [f'<text class="{c}" x="{LEFT}" y="{y + i * LINE:.0f}">{escape(t)}</text>' for i, (c, t) in enumerate(lines)]


def _cut(text: str) -> str:
    return text if len(text) <= 150 else text[:149] + "…"


def _request_line(r: dict[str, Any]) -> str:
    return f"#{r['seq']} {r['method']} {r['path']} {r['status'] if r['status'] is not None else 'no answer'}"


def _verdict_line(v: dict[str, Any]) -> str:
    mark = {"held": "✓", "failed": "✗", "interrupted": "…"}[verdict_state(v)]
    return f"{mark} {v['what']} ({v['waited']:.2f} s)"


def _axis(span: float, x: Callable[[float], float], t0: float) -> str:
    step = next((s for s in (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300) if span / s <= 10), 600)
    ticks, at = [], 0.0
    while at <= span + 1e-9:
        px = x(t0 + at)
        label = f'<text class="tick" x="{px + 2:.1f}" y="10">{at:g} s</text>' if px < WIDTH - RIGHT - 30 else ""
        ticks.append(f'<line class="tick" x1="{px:.1f}" y1="12" x2="{px:.1f}" y2="16"/>{label}')
        at += step
    return f'<g class="axis"><line class="tick" x1="{LEFT}" y1="16" x2="{WIDTH - RIGHT}" y2="16"/>{"".join(ticks)}</g>'
