"""One normalizer for what every source hands the decoder: header names, content encoding and body text.

The emulator's socket, the proxy, HAR files, the remote ingest route and virtual devices all give headers and
bodies in their own shapes (bytes or str pairs, mappings, HTTP/2 pseudo-headers, bodies compressed or already
expanded next to a stale `Content-Encoding`). `normalize` turns any of them into one `WireRequest`: lower-cased
header names and the body's canonical text. The journal keeps exactly that text, and the decoder reads only it,
so decoding a journaled exchange again gives what was decoded when it arrived, by construction.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from braze_harness.protocol.problems import Problem

RawHeaders = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None
# a compressed body is expanded up to this many bytes; beyond it the body is not decoded (a zip bomb costs nothing)
MAX_EXPANDED_BYTES = 16 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
# the start of the problem message of a body over `max_expanded` (the HTTP definition answers it 413)
TOO_LARGE = "body over the limit"


@dataclass(frozen=True, slots=True)
class Limits:
    """What the normalizer and the decoder refuse, each named after its emulator setting (docs/limits.md).
    The defaults are `EmulatorSettings`' (the emulator passes its own)."""

    max_expanded_body_bytes: int = MAX_EXPANDED_BYTES  # a body's size after gzip/deflate expansion
    max_json_depth: int = 64  # nesting of objects/arrays, the body's top level counted as 1
    max_identifier_bytes: int = 997  # user_id / external_id, device_id, alias names and labels (UTF-8 bytes)
    max_events_per_request: int = 1000  # events plus attributes objects in one request
    max_json_values: int = 100_000  # scalars and containers in one body (checked only in longer bodies)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class WireRequest:
    """An exchange's request as the decoder and the journal read it."""

    method: str
    url: str
    headers: dict[str, str]  # names lower-cased, pseudo-headers dropped, a repeated name's values joined
    text: str | None  # the canonical body: decompressed, UTF-8 (None: no body, or one that could not be read)
    problems: tuple[Problem, ...] = ()  # what normalizing found wrong (not decompressible, not UTF-8, too large)
    size: int = 0  # bytes as received

    @property
    def too_large(self) -> Problem | None:
        """The problem when the body expands beyond the limit (refused 413, its text not kept), else None."""
        for problem in self.problems:
            if problem.message.startswith(TOO_LARGE):
                return problem
        return None


def normalize_headers(headers: RawHeaders) -> dict[str, str]:
    """Header names lower-cased; HTTP/2 pseudo-headers (`:authority`) dropped; a repeated name's values joined
    with ", " as HTTP says they combine. Names and values may be str or (latin-1) bytes."""
    out: dict[str, str] = {}
    if not headers:
        return out
    # the usual shapes in one comprehension: (bytes, bytes) pairs from a server, or a dict of str; kept when no name
    # was left out (another type), repeated or is a pseudo-header (lower-cased to None)
    names = _LOWERED
    if type(headers) is list:
        out = {names[n]: v.decode("latin-1") for n, v in headers if type(n) is bytes and type(v) is bytes}  # type: ignore[misc]
    elif type(headers) is dict:
        out = {names[n]: v for n, v in headers.items() if type(n) is str and type(v) is str}  # type: ignore[misc]
    if out:
        if len(out) == len(headers) and None not in out:
            return out
        out = {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in items:
        key = name.decode("latin-1").lower() if isinstance(name, bytes) else str(name).lower()
        if key[:1] == ":":
            continue
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


class _LoweredNames(dict[bytes | str, str | None]):
    """Header names met so far (bytes or str) -> lower-cased str, None for a pseudo-header: a server's requests
    repeat a few dozen names, so each is decoded and lower-cased once. Bounded (names come from clients)."""

    def __missing__(self, name: bytes | str) -> str | None:
        key = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
        lowered = None if key[:1] == ":" else key
        if len(self) < 1024:
            self[name] = lowered
        return lowered


_LOWERED = _LoweredNames()


def body_text(
    body: bytes | str | Mapping[str, Any] | None, encoding: str = "", *, max_expanded: int = MAX_EXPANDED_BYTES
) -> tuple[str | None, list[Problem]]:
    """The canonical text of a body, and what was wrong with it.

    gzip is recognised by its magic bytes whatever the headers say; deflate when labelled and not already JSON
    (captures often hold an expanded body next to the original `Content-Encoding`). Invalid UTF-8 is replaced
    and reported. A parsed JSON body (a mapping) is serialised."""
    if body is None:
        return None, []
    if type(body) is bytes and not encoding and body[:1] in (b"{", b"[") and len(body) <= max_expanded:  # the usual
        try:
            return body.decode("utf-8"), []
        except UnicodeDecodeError:
            pass  # reported below
    if isinstance(body, str):
        if len(body) > max_expanded:  # already expanded by its source (a HAR, the ingest route): bounded all the same
            return None, [_too_large(f"{len(body)} characters", max_expanded)]
        return body, []
    if isinstance(body, Mapping):
        import orjson

        try:
            text = orjson.dumps(dict(body)).decode()
        except orjson.JSONEncodeError as exc:  # nested beyond the serialiser's depth, or not JSON at all
            return None, [Problem(where="body", message=f"cannot serialise the body as JSON: {exc}")]
        if len(text) > max_expanded:
            return None, [_too_large(f"{len(text)} characters", max_expanded)]
        return text, []
    problems: list[Problem] = []
    raw = bytes(body)
    encoding = encoding.strip().lower()
    if raw[:2] == _GZIP_MAGIC:
        raw, problem = _expand(raw, zlib.MAX_WBITS | 16, "gzip", max_expanded)
    elif encoding == "deflate" and raw[:1] not in (b"{", b"[", b""):
        raw, problem = _expand(raw, zlib.MAX_WBITS, "deflate", max_expanded)
    elif len(raw) > max_expanded:
        problem = _too_large(f"{len(raw)} bytes", max_expanded)
    else:
        problem = None
    if problem is not None:
        return None, [problem]
    try:
        return raw.decode("utf-8"), problems
    except UnicodeDecodeError as exc:
        message = f"not valid UTF-8 (invalid bytes replaced): {exc.reason} at byte {exc.start}"
        problems.append(Problem(where="body", message=message))
        return raw.decode("utf-8", "replace"), problems


def _expand(raw: bytes, wbits: int, name: str, limit: int) -> tuple[bytes, Problem | None]:
    out: list[bytes] = []
    size = 0
    try:
        while raw:
            inflater = zlib.decompressobj(wbits)
            chunk = inflater.decompress(raw, limit + 1 - size)
            size += len(chunk)
            out.append(chunk)
            if size > limit:
                return b"", _too_large(f"{name} expanding beyond it", limit)
            if not inflater.eof:
                if inflater.unconsumed_tail:
                    return b"", _too_large(f"{name} expanding beyond it", limit)
                return b"", Problem(where="body", message=f"cannot decompress ({name}): truncated stream")
            raw = inflater.unused_data  # gzip allows several members one after another
            if name != "gzip" or raw[:2] != _GZIP_MAGIC:
                break
    except zlib.error as exc:
        if name == "deflate" and wbits > 0:  # some clients send raw deflate without the zlib wrapper
            return _expand(raw, -zlib.MAX_WBITS, "deflate (raw)", limit)
        return b"", Problem(where="body", message=f"cannot decompress ({name}): {exc}")
    return b"".join(out), None


def _too_large(what: str, limit: int) -> Problem:
    return Problem(
        where="body",
        message=f"{TOO_LARGE} of {limit} bytes after decompression (max_expanded_body_bytes): {what}; not decoded",
    )


def normalize(
    method: str,
    url: str,
    headers: RawHeaders,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    max_expanded: int = MAX_EXPANDED_BYTES,
) -> WireRequest:
    """Any source's request -> a `WireRequest` (the one way headers and bodies are read)."""
    return request_of(method, url, normalize_headers(headers), body, max_expanded=max_expanded)


def request_of(
    method: str,
    url: str,
    lowered: dict[str, str],
    body: bytes | str | Mapping[str, Any] | None,
    *,
    max_expanded: int = MAX_EXPANDED_BYTES,
) -> WireRequest:
    """`normalize` for headers that already went through `normalize_headers` (a transport that read them so)."""
    text, problems = body_text(body, lowered.get("content-encoding", ""), max_expanded=max_expanded)
    size = len(body) if isinstance(body, bytes | bytearray | str) else 0
    return WireRequest(method.upper(), url, lowered, text, tuple(problems), size)


def response_value(body: bytes | str | None, encoding: str = "") -> Any:
    """An answer's body as the journal keeps it: its JSON when it parses, else its text (None when empty).
    A compressed body is expanded first (captures keep either form)."""
    if body is None or body in (b"", ""):
        return None
    import orjson

    text, _ = body_text(body, encoding)
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
