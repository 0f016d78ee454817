"""HAR export: journal entries as a HAR 1.2 file, readable back by the HAR import (`braze_harness.har`).

    write_har(entries, "test.har")          # a test's traffic (`braze.export_har(path)`), a saved journal's
                                            # (`braze-harness journal export --har run.db out.har`)

Each entry is its exchange as the journal kept it: method, URL, headers (lower-cased, as decoded), the canonical body
text (already expanded, so no `Content-Encoding` is written for it), the answer's status and JSON; `startedDateTime`
is when it was journaled and `time` its duration. What the journal does not keep is not invented: the answer's own
headers are not journaled, so the response carries only a `Content-Type` naming how its body is written. A request
that got no answer (dropped) has status 0, as browsers write it. The harness's own fields are `_`-prefixed
(`_braze`: seq, source, scope, problems), which HAR readers ignore.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import JournalEntry

CREATOR = {"name": "braze-harness", "version": "1"}
_DROPPED_HEADERS = {"content-encoding", "content-length"}  # the body is written expanded: they would lie about it


def har_document(entries: Iterable[JournalEntry]) -> dict[str, Any]:
    """The HAR 1.2 document (a dict) of `entries`, in journal order."""
    return {"log": {"version": "1.2", "creator": CREATOR, "pages": [], "entries": [har_entry(e) for e in entries]}}


def write_har(entries: Iterable[JournalEntry], path: str | Path) -> int:
    """Write `entries` as a HAR file at `path` (its folder must exist) -> how many entries were written."""
    target = Path(path)
    if not target.parent.is_dir():
        raise HarnessConfigError(f"cannot write the HAR {target}: no folder {target.parent}")
    document = har_document(entries)
    try:
        target.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    except OSError as exc:
        raise HarnessConfigError(f"cannot write the HAR {target}: {exc.strerror}") from None
    return len(document["log"]["entries"])


def har_entry(entry: JournalEntry) -> dict[str, Any]:
    ex = entry.exchange
    duration = max(entry.duration_ms or 0.0, 0.0)
    request: dict[str, Any] = {
        "method": ex.method,
        "url": ex.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in ex.headers.items() if k not in _DROPPED_HEADERS],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(ex.url).query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(ex.body.encode()) if ex.body is not None else 0,
    }
    if ex.body is not None:
        mime = ex.headers.get("content-type", "application/json")
        request["postData"] = {"mimeType": mime, "text": ex.body}
    return {
        "startedDateTime": dt.datetime.fromtimestamp(entry.received_at, dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "time": duration,
        "request": request,
        "response": _response(ex.status, ex.response),
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": duration, "receive": 0},
        "_braze": {
            "seq": entry.seq,
            "source": entry.source,
            "scope": entry.scope,
            "problems": [p.model_dump() for p in entry.problems],
        },
    }


def _response(status: int | None, body: Any) -> dict[str, Any]:
    if body is None:
        text, mime = "", "x-unknown"
    elif isinstance(body, str):
        text, mime = body, "text/plain"
    else:
        text, mime = orjson.dumps(body).decode(), "application/json"
    headers = [{"name": "content-type", "value": mime}] if text else []
    return {
        "status": status if status is not None else 0,
        "statusText": "" if status is not None else "no answer",
        "httpVersion": "HTTP/1.1" if status is not None else "",
        "cookies": [],
        "headers": headers,
        "content": {"size": len(text.encode()), "mimeType": mime, **({"text": text} if text else {})},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": len(text.encode()) if text else -1,
    }
