"""HAR import: device-farm and browser captures through the emulator's one pipeline (decoder, state, journal).

Reads the HAR 1.2 shapes that Chromium DevTools, Playwright (`record_har_path`), BrowserStack
(`networkLogs`) and Sauce Labs (`networkCapture`) write, tolerating what differs between them:
`_`-prefixed custom fields, request bodies missing (content capture off), in `postData.text`, in
`postData.params` or base64-encoded, response bodies base64 and/or gzip, HTTP/2 pseudo-headers,
status 0 for requests that got no answer.

    emulator = Emulator()
    import_har("session.har", emulator)                   # Braze entries only, source "har", through the pipeline
    Expect(JournalSource(emulator.journal, state=emulator.state)).custom_event("song_played").within(0)

A file that cannot be read as a HAR (missing, corrupt or truncated gzip, not JSON, no `log.entries` list) is a
HarnessConfigError with one line saying why. An entry of the wrong shape (not an object, `request` not an object,
`headers` neither a list nor an object, a URL that cannot be parsed) is skipped, and counted with its reason in
`read_har(...).skipped`: one bad entry does not lose the rest of a long capture, and is never dropped silently.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import orjson
from braze_harness.errors import HarnessConfigError
from braze_harness.journal import JournalEntry
from braze_harness.protocol.decode import Problem, is_braze_request
from braze_harness.protocol.wire import body_text, response_value

if TYPE_CHECKING:
    from braze_harness.emulator.app import Emulator


@dataclass(slots=True)
class HarExchange:
    """One HAR entry, normalised."""

    index: int  # position in log.entries
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes | None  # None: the HAR holds no request body
    status: int | None  # None: no answer (HAR status 0 or -1)
    response: Any  # parsed JSON, else text, else None
    started: float | None  # unix seconds
    notes: list[str] = field(default_factory=list)  # what the HAR lacked or how it was read

    @property
    def is_braze(self) -> bool:
        return is_braze_request(self.url, dict(self.headers))


@dataclass(slots=True)
class HarFile:
    """A HAR's entries, normalised, and the entries skipped for their shape ("entry 12: ...")."""

    exchanges: list[HarExchange]
    skipped: list[str]
    total: int  # len(log.entries)


class _BadEntry(Exception):
    """An entry whose shape is not a HAR entry's: skipped and counted."""


def read_har(source: str | Path | Mapping[str, Any] | bytes) -> HarFile:
    """Every entry of a HAR (a path, its bytes, or the parsed dict), normalised, and those skipped with why.
    Raises HarnessConfigError (one line) on a file that is not a HAR."""
    data = _read(source)
    log = data.get("log") if isinstance(data, Mapping) else None
    entries = log.get("entries") if isinstance(log, Mapping) else None
    if not isinstance(entries, list):
        raise HarnessConfigError(f"{_name(source)} is not a HAR (no log.entries list)")
    out, skipped = [], []
    for index, entry in enumerate(entries):
        try:
            if not isinstance(entry, Mapping):
                raise _BadEntry(f"is {_kind(entry)}, not an object")
            out.append(_exchange(index, entry))
        except _BadEntry as exc:
            skipped.append(f"entry {index}: {exc}")
    return HarFile(out, skipped, len(entries))


def load_har(source: str | Path | Mapping[str, Any] | bytes) -> list[HarExchange]:
    """The well-formed entries of a HAR, normalised (`read_har` also says which entries were skipped)."""
    return read_har(source).exchanges


def import_har(
    path: str | Path | Mapping[str, Any] | bytes,
    emulator: Emulator,
    *,
    scope: str | None = None,
    source: str = "har",
) -> list[JournalEntry]:
    """Every Braze SDK entry of a HAR through the emulator's one pipeline, in capture order: decoded, journaled,
    and applied to its profiles when the capture's server accepted it (so profile expectations work too)."""
    return import_exchanges(load_har(path), emulator, scope=scope, source=source)


def import_exchanges(
    exchanges: Iterable[HarExchange],
    emulator: Emulator,
    *,
    scope: str | None = None,
    source: str = "har",
    each: Callable[[JournalEntry], None] | None = None,
) -> list[JournalEntry]:
    """`import_har` for exchanges already read; `each` sees every entry as it is journaled (so a caller can write
    it out whatever the journal's cap keeps)."""
    entries = []
    for ex in exchanges:
        if not ex.is_braze:
            continue
        problems = [Problem(where="har", message=note) for note in ex.notes if note.startswith("no request body")]
        entry = emulator.observe(
            ex.method, ex.url, ex.headers, ex.body, ex.status, ex.response,
            source=source, received_at=ex.started, scope=scope, problems=problems,
        )  # fmt: skip
        entries.append(entry)
        if each is not None:
            each(entry)
    return entries


def summary_counts(entries: list[JournalEntry]) -> dict[str, int]:
    """requests, events, bad requests, requests with protocol drift."""
    return {
        "requests": len(entries),
        "events": sum(len(e.events) for e in entries),
        "bad": sum(1 for e in entries if not e.good),
        "drift": sum(1 for e in entries if any(p.severity == "drift" for p in e.problems)),
    }


# -- reading ------------------------------------------------------------------------------------


def _name(source: Any) -> str:
    return str(source) if isinstance(source, str | Path) else "the HAR"


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _read(source: str | Path | Mapping[str, Any] | bytes) -> Any:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, bytes):
        raw = source
    else:
        path = Path(source)
        if not path.is_file():
            raise HarnessConfigError(f"no HAR file at {path}")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise HarnessConfigError(f"cannot read {path}: {exc.strerror}") from None
    if raw[:2] == b"\x1f\x8b":  # a .har.gz
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:  # corrupt (BadGzipFile, zlib.error) or truncated (EOFError)
            raise HarnessConfigError(f"{_name(source)} is not a readable gzip file: {_one_line(exc)}") from None
    if raw[:3] == b"\xef\xbb\xbf":  # a UTF-8 BOM (Windows tools)
        raw = raw[3:]
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HarnessConfigError(f"{_name(source)} is not JSON: {_one_line(exc)}") from None


def _exchange(index: int, entry: Mapping[str, Any]) -> HarExchange:
    """Raises _BadEntry for a shape no tool writes (what some tools omit is tolerated, with notes)."""
    req = entry.get("request")
    if not isinstance(req, Mapping):
        raise _BadEntry(f"request is {_kind(req)}, not an object")
    resp = entry.get("response") if isinstance(entry.get("response"), Mapping) else {}
    for where, value in (("request.headers", req.get("headers")), ("response.headers", resp.get("headers"))):
        if value is not None and not isinstance(value, list | Mapping):
            raise _BadEntry(f"{where} is {_kind(value)}, not a list")
    url = req.get("url")
    if not isinstance(url, str | None):
        raise _BadEntry(f"request.url is {_kind(url)}, not a string")
    try:
        _ = urlsplit(url or "").port  # an unparseable URL (bad IPv6 literal, port out of range) raises here
    except ValueError as exc:
        raise _BadEntry(f"request.url {url!r} cannot be parsed: {exc}") from None
    notes: list[str] = []
    headers = _headers(req.get("headers"))
    body = _request_body(req.get("postData"), notes)
    if body is None and str(req.get("method", "GET")).upper() == "POST":
        notes.append("no request body in the HAR (captured without content?)")
    status = resp.get("status")
    status = status if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599 else None
    response = _response_body(resp, notes) if status is not None else None
    return HarExchange(
        index=index,
        method=str(req.get("method") or "GET").upper(),
        url=str(req.get("url") or ""),
        headers=headers,
        body=body,
        status=status,
        response=response,
        started=_timestamp(entry.get("startedDateTime")),
        notes=notes,
    )


def _headers(raw: Any) -> list[tuple[str, str]]:
    """HAR headers are a list of {name, value}; some tools write an object instead."""
    if isinstance(raw, Mapping):
        return [(str(k), str(v)) for k, v in raw.items() if not str(k).startswith(":")]
    out = []
    for h in raw or []:
        if isinstance(h, Mapping) and "name" in h and not str(h["name"]).startswith(":"):
            out.append((str(h["name"]), str(h.get("value", ""))))
    return out


def _request_body(post: Any, notes: list[str]) -> bytes | None:
    if not isinstance(post, Mapping):
        return None
    text = post.get("text")
    if isinstance(text, str) and text != "":
        encoding = str(post.get("encoding") or post.get("_encoding") or "").lower()
        if encoding == "base64":
            try:
                return base64.b64decode(text, validate=False)
            except (binascii.Error, ValueError):
                notes.append("postData.text is not valid base64")
        return text.encode("utf-8", "surrogateescape")
    params = post.get("params")
    if isinstance(params, list) and params:
        pairs = [(str(p.get("name", "")), str(p.get("value", ""))) for p in params if isinstance(p, Mapping)]
        notes.append("request body rebuilt from postData.params")
        # a JSON body some tools file as one parameter whose name (or name=value) is the JSON text
        for candidate in (pairs[0][0], f"{pairs[0][0]}={pairs[0][1]}") if len(pairs) == 1 else ():
            try:
                orjson.loads(candidate)
            except orjson.JSONDecodeError:
                continue
            return candidate.encode()
        return urlencode(pairs).encode()
    return None


def _response_body(resp: Mapping[str, Any], notes: list[str]) -> Any:
    content = resp.get("content") if isinstance(resp.get("content"), Mapping) else {}
    text = content.get("text")
    if not isinstance(text, str) or text == "":
        return None
    raw: bytes = text.encode("utf-8", "surrogateescape")
    if str(content.get("encoding") or "").lower() == "base64":
        try:
            raw = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            notes.append("response content is not valid base64")
            return text
    encoding = next((value.lower() for name, value in _headers(resp.get("headers")) if name.lower() == "content-encoding"), "")
    text, _ = body_text(raw, encoding)
    if text is None:
        notes.append(f"response content could not be decompressed ({encoding or 'gzip'})")
        return response_value(raw.decode("utf-8", "replace"))
    return response_value(text)


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()
