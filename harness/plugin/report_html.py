"""The run report as one self-contained HTML file: inline CSS and JS, no external resource (it opens offline).

Per test: its outcome, its expectations' verdicts, and its timeline (braze_harness.timeline, inline SVG): its scope's
SDK requests on a time axis, their events, the user and session changes, each expectation's wait and verdict.
Per run: the protocol report (drift and refusals) the terminal shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

from braze_harness.timeline import timeline_svg

# nothing is loaded from anywhere: the report opens offline, and a browser refuses any fetch it might try
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@dataclass(slots=True)
class TestRow:
    nodeid: str
    outcome: str  # passed | failed | error | skipped | xfailed | xpassed
    duration: float = 0.0
    start: float | None = None  # unix seconds
    stop: float | None = None
    longrepr: str = ""
    data: dict[str, Any] | None = None  # report_data.test_data, None: the test used no `braze`


@dataclass(slots=True)
class RunReport:
    title: str
    tests: list[TestRow] = field(default_factory=list)
    protocol: dict[str, Any] | None = None  # ProblemTally.summary()
    protocol_note: str = ""  # why there is no protocol report
    generated: float = field(default_factory=time.time)


def render(run: RunReport) -> str:
    counts: dict[str, int] = {}
    for t in run.tests:
        counts[t.outcome] = counts.get(t.outcome, 0) + 1
    summary = ", ".join(f'<span class="o-{escape(k)}">{n} {escape(k)}</span>' for k, n in sorted(counts.items()))
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.generated))
    rows = "\n".join(_test(i, t) for i, t in enumerate(run.tests))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{escape(run.title)}</title>
<style>{CSS}</style></head>
<body>
<h1>{escape(run.title)}</h1>
<p class="run">{len(run.tests)} test(s): {summary or "none"} — generated {escape(stamp)}</p>
{_protocol(run)}
<h2>Tests</h2>
<p class="tools"><button type="button" data-show="all">all</button>
<button type="button" data-show="failed">failed and errors</button>
<button type="button" data-expand="1">expand all</button> <button type="button" data-expand="0">collapse all</button></p>
{LEGEND}
<div id="tests">
{rows}
</div>
<script>{JS}</script>
</body></html>
"""


def _protocol(run: RunReport) -> str:
    if run.protocol is None:
        return f'<h2>Braze protocol report</h2><p class="note">{escape(run.protocol_note or "not available")}</p>'
    p = run.protocol
    head = f"<p>{p['requests']} SDK request(s) journaled, {p['bad']} bad</p>"
    if not p["problems"]:
        return f'<h2>Braze protocol report</h2><div id="protocol">{head}<p class="note">no drift, no refusal</p></div>'
    body = "".join(
        f'<tr class="sev-{escape(r["severity"])}"><td>{escape(r["severity"])}</td><td class="num">{r["count"]}</td>'
        f"<td>{escape(r['where'])}</td><td>{escape(r['message'])}</td></tr>"
        for r in p["problems"]
    )
    return (
        f'<h2>Braze protocol report</h2><div id="protocol">{head}<table><thead><tr><th>severity</th><th>count</th>'
        f"<th>where</th><th>message</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def _test(index: int, t: TestRow) -> str:
    data = t.data or {}
    verdicts = data.get("verdicts", [])
    requests = data.get("requests", [])
    bad = sum(1 for r in requests if not r["good"])
    held = sum(1 for v in verdicts if v["passed"] and v["finished"])
    facts = [f"{t.duration:.2f} s"]
    if t.data is not None:
        facts.append(f"{len(requests) + data.get('more_requests', 0)} request(s)" + (f", {bad} bad" if bad else ""))
        facts.append(f"{held}/{len(verdicts)} expectation(s) held")
    parts = [_verdicts(verdicts)] if verdicts else []
    if t.data is not None:
        parts.append(timeline(t, data))
        parts.append(_requests(requests, data.get("more_requests", 0)))
    else:
        parts.append('<p class="note">no Braze traffic: the test ran without the <code>braze</code> fixture</p>')
    if t.longrepr:
        parts.append(f'<pre class="longrepr">{escape(t.longrepr)}</pre>')
    return (
        f'<details class="test o-{escape(t.outcome)}" id="test-{index}" data-outcome="{escape(t.outcome)}" '
        f'data-nodeid="{escape(t.nodeid)}"><summary><span class="badge">{escape(t.outcome)}</span> '
        f'<span class="nodeid">{escape(t.nodeid)}</span> <span class="facts">{escape(" · ".join(facts))}</span></summary>'
        f'<div class="body">{"".join(parts)}</div></details>'
    )


def _verdicts(verdicts: list[dict[str, Any]]) -> str:
    rows = []
    for v in verdicts:
        state = "held" if v["passed"] and v["finished"] else ("failed" if not v["passed"] else "interrupted")
        mark = {"held": "✓", "failed": "✗", "interrupted": "…"}[state]
        note = f'<div class="why">{escape(v["message"])}</div>' if v["message"] else ""
        rows.append(
            f'<tr class="v-{state}"><td>{mark}</td><td>{escape(v["what"])}{note}{_table(v.get("table"))}</td>'
            f'<td class="num">{v["waited"]:.2f} s</td></tr>'
        )
    head = "<thead><tr><th></th><th>expectation</th><th>waited</th></tr></thead>"
    return f'<table class="verdicts">{head}<tbody>{"".join(rows)}</tbody></table>'


def _table(table: dict[str, Any] | None) -> str:
    """A verdict's own table (cdp_mapping: each CDP call, what Braze should receive, what it received)."""
    if not table:
        return ""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in table["columns"])
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in table["rows"])
    return f'<table class="detail"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _requests(requests: list[dict[str, Any]], more: int) -> str:
    if not requests:
        return '<p class="note">no SDK request in this test\'s scope</p>'
    items = []
    for r in requests:
        events = "".join(f"<li>{escape(e['text'])}</li>" for e in r["events"])
        problems = "".join(f'<li class="problem">{escape(p)}</li>' for p in r["problems"])
        status = r["status"] if r["status"] is not None else "no answer"
        items.append(
            f'<li class="{"good" if r["good"] else "bad"}">#{r["seq"]} {escape(r["method"])} {escape(r["path"])} '
            f"{escape(str(status))}<ul>{events}{problems}</ul></li>"
        )
    tail = f"<li>... and {more} more</li>" if more else ""
    return f'<ol class="requests">{"".join(items)}{tail}</ol>'


def timeline(t: TestRow, data: dict[str, Any]) -> str:
    """The test's picture (braze_harness.timeline), inline: from the test's start to its end, styled by the page."""
    return timeline_svg(
        data.get("requests", []), data.get("verdicts", []), calls=data.get("calls"), attributes=data.get("attributes", []),
        start=t.start, stop=t.stop, more_requests=data.get("more_requests", 0), more_calls=data.get("more_calls", 0),
    )  # fmt: skip


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
td.num{text-align:right}.note{color:#666}
.sev-error td:first-child{color:#b00020;font-weight:600}.sev-drift td:first-child{color:#a15c00}
details.test{border:1px solid #ddd;border-radius:4px;margin:4px 0}
details.test>summary{cursor:pointer;padding:4px 8px}details.test .body{padding:4px 12px 10px}
.badge{display:inline-block;min-width:5em;text-align:center;border-radius:3px;color:#fff;background:#888;font-size:.85em}
.o-passed .badge{background:#2e7d32}.o-failed .badge,.o-error .badge{background:#b00020}
.o-skipped .badge,.o-xfailed .badge{background:#8d6e00}
span.o-passed{color:#2e7d32}span.o-failed,span.o-error{color:#b00020}
.nodeid{font-family:ui-monospace,monospace}.facts{color:#666;font-size:.9em}
.v-held td:first-child{color:#2e7d32}.v-failed td:first-child{color:#b00020}.why{color:#b00020;font-size:.9em}
table.detail{margin:.3em 0;font-size:.85em}table.detail td,table.detail th{padding:1px 6px;border-bottom:1px solid #eee}
pre.longrepr{background:#fbeff1;padding:6px;overflow:auto;max-height:24em;font-size:12px}
ol.requests{font-family:ui-monospace,monospace;font-size:12px}ol.requests li.bad{color:#b00020}li.problem{color:#b00020}
.legend{color:#555;font-size:.9em}.k-req{color:#4a7bd0}.k-bad,.k-failed{color:#d32f2f}.k-held{color:#2e7d32}.k-state{color:#8e44ad}
.k-attr{color:#00897b}
svg.timeline{display:block;margin:6px 0;background:#fafafa;border:1px solid #eee}
svg .req{fill:#4a7bd0}svg .req.bad{fill:#d32f2f}svg .event{fill:#fff;stroke:#123;stroke-width:.8}
svg .tick{stroke:#999;fill:#666;font-size:10px}svg text.tick{stroke:none}
svg .verdict .wait{stroke-width:4;stroke-opacity:.35}svg .verdict .at{stroke-width:1.5}
svg .v-held line{stroke:#2e7d32}svg .v-failed line{stroke:#d32f2f}svg .v-interrupted line{stroke:#888}
svg .state{fill:#8e44ad}svg text.state{font-size:10px}
svg .call{fill:#7a7f87}svg .call.bad{fill:#d32f2f}svg text.call{font:10px ui-monospace,monospace;fill:#333}
svg text.call.bad{fill:#b00020}svg text.lane{font-size:10px;fill:#999}svg .attr{fill:#00897b}svg text.attr{font-size:10px}
"""

LEGEND = (
    '<p class="legend">Timeline: a grey bar is a call of the test on the app (red when it raised), '
    'a bar under them an SDK request of the test\'s scope (<span class="k-req">blue</span>, '
    '<span class="k-bad">red</span> when refused), a dot an event in it; below, a device\'s user changing and a session '
    '<span class="k-state">starting or ending</span>, the <span class="k-attr">attributes set</span>, and each '
    "expectation's wait up to its "
    'verdict (<span class="k-held">held</span> or <span class="k-failed">failed</span>). Hover for details.</p>'
)

JS = """
(function(){
  var tests=document.querySelectorAll('details.test');
  document.querySelectorAll('button[data-show]').forEach(function(b){b.addEventListener('click',function(){
    var only=b.getAttribute('data-show');
    tests.forEach(function(t){var o=t.getAttribute('data-outcome');
      t.hidden=only==='failed'&&o!=='failed'&&o!=='error';});});});
  document.querySelectorAll('button[data-expand]').forEach(function(b){b.addEventListener('click',function(){
    var open=b.getAttribute('data-expand')==='1';tests.forEach(function(t){t.open=open;});});});
  tests.forEach(function(t){var o=t.getAttribute('data-outcome');if(o==='failed'||o==='error'){t.open=true;}});
})();
"""
