"""The one decoder: any captured SDK request (emulator, proxy, HAR, virtual device) -> typed objects.

Never raises on bad input. What cannot be decoded becomes a problem with a location; what is
valid is kept even when its neighbours are not (one bad event does not sink its batch).
Unknown event codes and unknown fields are kept and reported as `drift`.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

import orjson
from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.cdp import cdp_of
from braze_harness.protocol.events import EVENT_ADAPTER, KNOWN_EVENTS_ADAPTER, Event, UnknownEvent, Wire
from braze_harness.protocol.input_limits import (
    OverLimit,
    rest_depth_problem,
    too_many_values,
    within_limits,
)
from braze_harness.protocol.mobile import (
    DebuggerInitRequest,
    DebuggerLogRequest,
    DustConfigRequest,
    DustConfigResponse,
    EmptyResponse,
    GeofenceRefreshRequest,
    GeofenceRefreshResponse,
    GeofenceReportRequest,
    PushDeliveryEventsRequest,
    PushRedeliverRequest,
)
from braze_harness.protocol.problems import Problem
from braze_harness.protocol.requests import (
    BannersSyncRequest,
    ContentCardsSyncRequest,
    DataRequest,
    Envelope,
    FeatureFlagsSyncRequest,
    GenericSdkRequest,
    PushUnregisterRequest,
    TemplateRequest,
)
from braze_harness.protocol.responses import (
    BannersSyncResponse,
    ContentCardsSyncResponse,
    DataResponse,
    FeatureFlagsSyncResponse,
    TemplateResponse,
)
from braze_harness.protocol.rest import is_rest_path
from braze_harness.protocol.wire import DEFAULT_LIMITS, Limits, RawHeaders, WireRequest, body_text, normalize
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class Endpoint(StrEnum):
    DATA = "data"
    CONTENT_CARDS = "content_cards/sync"
    FEATURE_FLAGS = "feature_flags/sync"
    TEMPLATE = "template"
    BANNERS = "banners/sync"
    PUSH_UNREGISTER = "push/unregister"
    # the Android (and Swift) SDKs' other endpoints (docs/mobile-wire.md, mobile-only-endpoints)
    PUSH_DELIVERY_EVENTS = "push/delivery_events"
    PUSH_REDELIVER = "push/redeliver"
    GEOFENCE_REQUEST = "geofence/request"
    GEOFENCE_REPORT = "geofence/report"
    DEBUGGER_INIT = "debugger/init"
    DEBUGGER_LOG = "debugger/log"
    DUST_CONFIG = "dust/config"
    OTHER = "other"  # an /api/v3/ path no SDK is known to call
    REST = "rest"  # a REST API call (braze_harness.protocol.rest), not SDK traffic: its body is kept, not decoded


REQUEST_MODELS: dict[Endpoint, type[Envelope]] = {
    Endpoint.DATA: DataRequest,
    Endpoint.CONTENT_CARDS: ContentCardsSyncRequest,
    Endpoint.FEATURE_FLAGS: FeatureFlagsSyncRequest,
    Endpoint.TEMPLATE: TemplateRequest,
    Endpoint.BANNERS: BannersSyncRequest,
    Endpoint.PUSH_UNREGISTER: PushUnregisterRequest,
    Endpoint.PUSH_DELIVERY_EVENTS: PushDeliveryEventsRequest,
    Endpoint.PUSH_REDELIVER: PushRedeliverRequest,
    Endpoint.GEOFENCE_REQUEST: GeofenceRefreshRequest,
    Endpoint.GEOFENCE_REPORT: GeofenceReportRequest,
    Endpoint.DEBUGGER_INIT: DebuggerInitRequest,
    Endpoint.DEBUGGER_LOG: DebuggerLogRequest,
    Endpoint.DUST_CONFIG: DustConfigRequest,
    Endpoint.OTHER: GenericSdkRequest,
}
RESPONSE_MODELS: dict[Endpoint, type[Wire]] = {
    Endpoint.DATA: DataResponse,
    Endpoint.CONTENT_CARDS: ContentCardsSyncResponse,
    Endpoint.FEATURE_FLAGS: FeatureFlagsSyncResponse,
    Endpoint.TEMPLATE: TemplateResponse,
    Endpoint.BANNERS: BannersSyncResponse,
    Endpoint.PUSH_DELIVERY_EVENTS: EmptyResponse,
    Endpoint.PUSH_REDELIVER: EmptyResponse,
    Endpoint.GEOFENCE_REQUEST: GeofenceRefreshResponse,
    Endpoint.GEOFENCE_REPORT: EmptyResponse,
    Endpoint.DEBUGGER_INIT: EmptyResponse,
    Endpoint.DEBUGGER_LOG: EmptyResponse,
    Endpoint.DUST_CONFIG: DustConfigResponse,
}

# A custom baseUrl path is used verbatim (docs/web-sdk-wire.md, base-url), so match on the tail only.
_ENDPOINT_RE = re.compile(
    r"/(data|content_cards/sync|feature_flags/sync|template|banners/sync|push/unregister|push/delivery_events|push/redeliver"
    r"|geofence/request|geofence/report|debugger/init|debugger/log|dust/config)/?$"
)
_API_V3_RE = re.compile(r"/api/v3/")
MAX_RAW_KEPT = 64 * 1024
MAX_PROBLEMS = 100  # problems kept per request; the rest are counted in one more (a batch of junk stays small)


class BrazeHeaders(BaseModel):
    """The `X-Braze-*` request headers (docs/web-sdk-wire.md, request-headers; docs/mobile-wire.md, headers), typed."""

    api_key: str | None = None
    auth_signature: str | None = None
    req_attempt: int | None = None
    last_req_ms_ago: int | None = None
    tokens_remaining: int | None = None
    request_initiated_by: str | None = None
    sync_retry_count: int | None = None
    flags: list[str] = Field(default_factory=list)


class DecodedRequest(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    method: str
    url: str
    path: str
    endpoint: Endpoint | None  # None: not an SDK endpoint (e.g. a CORS preflight elsewhere)
    headers: dict[str, str]
    braze: BrazeHeaders
    body: Envelope | None = None
    raw_body: str | None = None  # kept when the body could not be decoded
    rejected: list[Any] = Field(default_factory=list)  # raw events/attributes that failed validation
    problems: list[Problem] = Field(default_factory=list)

    @property
    def is_preflight(self) -> bool:
        return self.method == "OPTIONS"

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def drift(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "drift"]

    @property
    def api_key(self) -> str | None:
        return self.braze.api_key or (self.body.api_key if self.body else None)

    @property
    def device_id(self) -> str | None:
        return self.body.device_id if self.body else None

    @property
    def events(self) -> list[Event]:
        return self.body.events if isinstance(self.body, DataRequest) else []

    @property
    def attributes(self) -> list[Attributes]:
        return self.body.attributes if isinstance(self.body, DataRequest) else []

    @property
    def user_ids(self) -> set[str]:
        """Every user id the request speaks for (envelope, respond_with, events, attributes)."""
        ids: set[str] = set()
        body = self.body
        if body is None:
            return ids
        if body.user_id:
            ids.add(body.user_id)
        if isinstance(body, DataRequest | TemplateRequest) and body.respond_with and body.respond_with.user_id:
            ids.add(body.respond_with.user_id)
        ids.update(e.user_id for e in self.events if e.user_id)
        ids.update(a.user_id for a in self.attributes if a.user_id)
        return ids


class DecodedResponse(BaseModel):
    status: int
    body: Wire | None = None
    raw_body: str | None = None
    problems: list[Problem] = Field(default_factory=list)


def endpoint_of(path: str) -> Endpoint | None:
    if is_rest_path(path):
        return Endpoint.REST
    m = _ENDPOINT_RE.search(path)
    if m:
        return Endpoint(m.group(1))
    if _API_V3_RE.search(path):
        return Endpoint.OTHER
    return None


def is_braze_request(url: str, headers: Mapping[str, str]) -> bool:
    """A Braze SDK request is recognised by path or by its api-key header, on any host (docs/mobile-wire.md, hosts)."""
    path = urlsplit(url).path if "://" in url else url
    if _API_V3_RE.search(path):
        return True
    return any(k.lower() == "x-braze-api-key" for k in headers)


def decode(
    method: str,
    url: str,
    headers: RawHeaders,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> DecodedRequest:
    """Decode one SDK request. Header names are case-insensitive; body may be bytes, text or parsed JSON."""
    return decode_wire(normalize(method, url, headers, body, max_expanded=limits.max_expanded_body_bytes), limits=limits)


def decode_wire(wire: WireRequest, *, limits: Limits = DEFAULT_LIMITS) -> DecodedRequest:
    """Decode a normalized request (`braze_harness.protocol.wire.normalize`): what the pipeline and the journal call."""
    return decode_text(wire.method, wire.url, wire.headers, wire.text, wire.problems, limits=limits)


def decode_text(
    method: str,
    url: str,
    headers: dict[str, str],
    text: str | None,
    wire_problems: Sequence[Problem] = (),
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> DecodedRequest:
    """Decode a request from lower-cased headers and its canonical body text (`WireRequest.text`), after
    what normalizing found (`WireRequest.problems`).

    The journal re-decodes its entries with this (and the same `limits`): the same text always gives the same
    result. Over a limit (docs/limits.md) is a problem found before anything is validated: an over-deep or
    over-long event or attributes object is rejected by its index, an over-deep or over-long envelope field or
    too many items leave no body (the request is answered 400, nothing applied)."""
    path, endpoint = path_and_endpoint(url)
    problems: list[Problem] = list(wire_problems)
    braze = _braze_headers(headers, problems)
    # the request's fields, validated once at the end (each assignment to a model costs); a field is given
    # when it was found, so `model_fields_set` names the same fields as assigning them one by one would
    found: dict[str, Any] = {
        "method": method.upper(),
        "url": url,
        "path": path,
        "endpoint": endpoint,
        "headers": headers,
        "braze": braze,
    }
    if found["method"] == "OPTIONS":
        return _DECODED_REQUEST.validate_python(found)
    rejected: list[Any] = []
    if endpoint is None and (cdp := cdp_of(url)) is not None:  # a CDP's own traffic, journaled beside Braze's
        found["raw_body"] = text[:MAX_RAW_KEPT] if text else None
        problems.append(Problem(where="path", message=f"{cdp} traffic, not a Braze SDK request: {path}", severity="info"))
    elif endpoint is None:
        problems.append(Problem(where="path", message=f"not a Braze SDK endpoint: {path}"))
    elif endpoint is Endpoint.REST:  # answered and checked by the REST handlers: kept as text
        found["raw_body"] = text[:MAX_RAW_KEPT] if text else None
        if text and text.count("{") + text.count("[") > limits.max_json_depth:  # else it cannot be too deep
            problem = rest_depth_problem(text, limits.max_json_depth)
            if problem is not None:
                problems.append(problem)
    else:
        payload = _parse_text(text, problems, found)
        if payload is not None and text and len(text) > limits.max_json_values and too_many_values(payload, text, limits):
            message = f"more than {limits.max_json_values} JSON values in one body (max_json_values): nothing applied"
            problems.append(Problem(where="body", message=message))
            found["raw_body"] = text[:MAX_RAW_KEPT]
            payload = None
        if payload is not None:
            found["body"] = _validate(endpoint, payload, problems, found, rejected, limits, text)
            if not (braze.api_key or payload.get("api_key")):
                problems.append(Problem(where="api_key", message="missing api key (X-Braze-Api-Key header and body api_key)"))
            elif braze.api_key and payload.get("api_key") not in (None, braze.api_key):
                problems.append(
                    Problem(
                        where="api_key", message=f"header key {braze.api_key!r} differs from body key {payload.get('api_key')!r}"
                    )
                )
    if len(problems) > MAX_PROBLEMS:
        problems = _bounded_problems(problems)
    found["problems"] = problems
    decoded: DecodedRequest = _DECODED_REQUEST.validate_python(found)
    if rejected:
        decoded.rejected.extend(rejected)  # added to the default list, as before: the field stays unset
    return decoded


def decode_response(endpoint: Endpoint | None, status: int, body: bytes | str | Mapping[str, Any] | None) -> DecodedResponse:
    """Decode what the server answered, as the SDK would read it (non-2xx bodies are not read)."""
    result = DecodedResponse(status=status)
    if not (200 <= status < 300) or endpoint is None:
        result.raw_body = _text(body)
        return result
    problems: list[Problem] = []
    kept: dict[str, Any] = {}
    text, wire_problems = body_text(body)
    problems.extend(wire_problems)
    payload = _parse_text(text, problems, kept)
    result.raw_body = kept.get("raw_body")
    model = RESPONSE_MODELS.get(endpoint)
    if isinstance(payload, dict) and model is not None:
        try:
            result.body = model.model_validate(payload)
        except ValidationError as exc:
            problems.extend(_problems(exc, "response"))
    elif payload is not None and not isinstance(payload, dict):
        problems.append(Problem(where="response", message="the SDK expects a JSON object"))
    elif payload is None and not problems:
        problems.append(Problem(where="response", message="empty body: the SDK logs an `ie` event"))
    result.problems = problems
    return result


# --- helpers ----------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def path_and_endpoint(url: str) -> tuple[str, Endpoint | None]:
    # SDK traffic repeats a handful of URLs: split each once
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    return path, endpoint_of(path)


_HEADER_INTS = {
    "x-braze-req-attempt": "req_attempt",
    "x-braze-last-req-ms-ago": "last_req_ms_ago",
    "x-braze-req-tokens-remaining": "tokens_remaining",
    "braze-sync-retry-count": "sync_retry_count",
}
_HEADER_FLAGS = {
    "x-braze-datarequest": "data",
    "x-braze-triggersrequest": "triggers",
    "x-braze-contentcardsrequest": "content_cards",
    "x-braze-featureflagsrequest": "feature_flags",
    "x-braze-bannersrequest": "banners",
    "x-braze-feedrequest": "feed",
}


def _braze_headers(h: dict[str, str], problems: list[Problem]) -> BrazeHeaders:
    get = h.get
    values: dict[str, Any] = {
        "api_key": get("x-braze-api-key") or None,
        "auth_signature": get("x-braze-auth-signature") or None,
        "request_initiated_by": get("x-braze-request-initiated-by") or None,
    }
    if _OPTIONAL_HEADERS.isdisjoint(h):  # the usual (the Web SDK sends none of them): nothing to look for
        values["flags"] = []
        return _BRAZE_HEADERS.validate_python(values)
    for name, field in _HEADER_INTS.items():
        raw = get(name)
        if raw is not None:
            try:
                values[field] = int(raw)
            except ValueError:
                problems.append(Problem(where=f"header {name}", message=f"not an integer: {raw!r}"))
    values["flags"] = [flag for name, flag in _HEADER_FLAGS.items() if (raw := get(name)) is not None and raw.lower() == "true"]
    return _BRAZE_HEADERS.validate_python(values)  # = BrazeHeaders(**values), without the keyword round trip


_OPTIONAL_HEADERS = frozenset(_HEADER_INTS) | frozenset(_HEADER_FLAGS)
_BRAZE_HEADERS = BrazeHeaders.__pydantic_validator__
_DECODED_REQUEST = DecodedRequest.__pydantic_validator__


def _text(body: bytes | str | Mapping[str, Any] | None) -> str | None:
    if body is None:
        return None
    if isinstance(body, Mapping):
        return orjson.dumps(body).decode()
    if isinstance(body, bytes):
        return body[:MAX_RAW_KEPT].decode("utf-8", "replace")
    return body[:MAX_RAW_KEPT]


def _parse_text(text: str | None, problems: list[Problem], found: dict[str, Any]) -> dict[str, Any] | None:
    """The body's JSON object; else None, with the problem and (when there was a body) its `raw_body` in `found`."""
    if not text:
        if not any(p.where == "body" for p in problems):
            problems.append(Problem(where="body", message="empty body (expected a JSON object)"))
        return None
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        problems.append(Problem(where="body", message=f"malformed JSON: {exc}"))
        found["raw_body"] = text[:MAX_RAW_KEPT]
        return None
    if not isinstance(payload, dict):
        problems.append(Problem(where="body", message=f"expected a JSON object, got {type(payload).__name__}"))
        found["raw_body"] = text[:MAX_RAW_KEPT]
        return None
    return payload


def _validate(
    endpoint: Endpoint,
    payload: dict[str, Any],
    problems: list[Problem],
    found: dict[str, Any],
    rejected: list[Any],
    limits: Limits,
    text: str,
) -> Envelope | None:
    model = REQUEST_MODELS[endpoint]
    items: dict[str, list[Any]] = {}
    if endpoint is Endpoint.DATA:
        # events and attributes are validated one by one so a bad one does not sink the batch
        envelope_fields = payload.copy()
        for key in ("events", "attributes"):
            value = envelope_fields.pop(key, None)
            if value is None:
                continue
            if not isinstance(value, list):
                problems.append(Problem(where=key, message=f"expected a list, got {type(value).__name__}"))
                rejected.append({key: value})
                continue
            items[key] = value
    else:
        envelope_fields = payload
    if not within_limits(envelope_fields, items, problems, limits, text):
        found["raw_body"] = text[:MAX_RAW_KEPT]
        return None
    try:
        envelope = model.__pydantic_validator__.validate_python(envelope_fields)  # = model.model_validate(...)
    except ValidationError as exc:
        problems.extend(_problems(exc, "body"))
        # within max_json_depth (serialisable); an item refused by a limit is shown as its problem
        found["raw_body"] = _text(orjson.dumps({**envelope_fields, **items}, default=repr))
        return None
    if _has_drift(envelope):
        _drift(envelope, "body", problems)
    if not envelope.device_id and endpoint is not Endpoint.OTHER:
        problems.append(Problem(where="body.device_id", message="missing device_id (Braze answers no_device_identifier)"))
    if isinstance(envelope, DataRequest):
        events = _validate_list("events", items.get("events", []), KNOWN_EVENTS_ADAPTER, _validate_event, problems, rejected)
        attributes = _validate_list(
            "attributes", items.get("attributes", []), _ATTRIBUTES_ADAPTER, Attributes.model_validate, problems, rejected
        )
        # what `envelope.events = events` does (pydantic's __setattr__ for a field, no validate_assignment), for less
        fields = envelope.__dict__
        fields["events"], fields["attributes"] = events, attributes
        envelope.__pydantic_fields_set__.update(("events", "attributes"))
    return envelope


def _bounded_problems(problems: list[Problem]) -> list[Problem]:
    kept, rest = problems[:MAX_PROBLEMS], problems[MAX_PROBLEMS:]
    severity = "error" if any(p.severity == "error" for p in rest) else rest[0].severity
    more = Problem(where="problems", message=f"{len(rest)} more problems not kept", severity=severity)
    return [*kept, more]


_ATTRIBUTES_ADAPTER: TypeAdapter[list[Attributes]] = TypeAdapter(list[Attributes])


_ONLY_DICTS = frozenset({dict})


def _validate_event(raw: Any) -> Event:
    return EVENT_ADAPTER.validate_python(raw)


def _validate_list(
    key: str, raw_items: list[Any], whole: TypeAdapter[Any], validate: Any, problems: list[Problem], rejected: list[Any]
) -> list[Any]:
    """All items in one validator call; only when one is invalid (or an event code is unknown), item by item.

    The one-call adapters give exactly what the per-item validators give for valid items of known
    codes, so the result and its problems are the same either way."""
    if not raw_items:
        return []
    if _ONLY_DICTS.issuperset(map(type, raw_items)):
        try:
            good: list[Any] = whole.validator.validate_python(raw_items)
        except ValidationError:
            pass
        else:
            if whole is KNOWN_EVENTS_ADAPTER:
                _events_drift(key, good, problems)
            else:
                for index, item in enumerate(good):
                    if _has_drift(item):
                        _drift(item, f"{key}[{index}]", problems)
            return good
    return _validate_items(key, raw_items, validate, problems, rejected)


def _events_drift(key: str, events: list[Event], problems: list[Problem]) -> None:
    """`_drift` for each event of a known code: first a cheaper look for anything at all (the usual answer is no).

    An event of a known code can only drift in its extras, its alias and its data (a model or None); data of a
    `_FLAT_DATA` class only in its extras."""
    if _BATCH_DRIFT_CHECK:
        for item in events:
            data = item.data
            if (
                item.__pydantic_extra__
                or item.alias is not None
                or (data is not None and (data.__pydantic_extra__ or type(data) not in _FLAT_DATA))
            ):
                break
        else:
            return
    for index, item in enumerate(events):
        if _has_drift(item):
            _drift(item, f"{key}[{index}]", problems)


def _validate_items(key: str, raw_items: list[Any], validate: Any, problems: list[Problem], rejected: list[Any]) -> list[Any]:
    good: list[Any] = []
    for index, raw in enumerate(raw_items):
        where = f"{key}[{index}]"
        if type(raw) is OverLimit:
            problems.append(Problem(where=where, message=raw.message))
            rejected.append(repr(raw))
            continue
        try:
            item = validate(raw)
        except ValidationError as exc:
            problems.extend(_problems(exc, where))
            rejected.append(raw)
            continue
        if isinstance(item, UnknownEvent):
            problems.append(Problem(where=where, message=f"unknown event code {item.name!r}", severity="drift"))
        else:
            _drift(item, where, problems)
        good.append(item)
    return good


def _problems(exc: ValidationError, where: str) -> list[Problem]:
    count = exc.error_count()
    if count > MAX_PROBLEMS:  # listing them costs ~2 µs each (a list of 500,000 bad ints: seconds): counted instead
        return [Problem(where=where, message=f"{count} validation errors, more than {MAX_PROBLEMS}: not listed one by one")]
    found = []
    for err in exc.errors(include_url=False):
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"] if not _is_tag(p))
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {_short_repr(value)})"
        found.append(Problem(where=f"{where}{loc}", message=f"{err['msg']}{shown}"))
    return found


def _short_repr(value: Any) -> str:
    # a problem names the value it got, not all of it (a 1 MB string is not copied into every problem)
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:200]}… ({len(text)} characters)"


def _is_tag(part: Any) -> bool:
    # discriminated-union tags ("ce", "__unknown__") appear in error locations; they are not fields
    return isinstance(part, str) and (part == "__unknown__" or part in _TAGS)


def _drift(model: BaseModel, where: str, problems: list[Problem]) -> None:
    """Unknown fields of `model` and of the models nested in its fields (not `custom`), in field order."""
    extra = model.__pydantic_extra__
    if extra:
        for key in extra:
            problems.append(Problem(where=f"{where}.{key}" if where else key, message="unknown field", severity="drift"))
    for name in _nested(type(model)):
        value = getattr(model, name)
        if isinstance(value, BaseModel) and _has_drift(value):
            _drift(value, f"{where}.{name}", problems)


def _has_drift(model: BaseModel) -> bool:
    """Whether `_drift` would find anything: the common answer (no) without building a location string."""
    if model.__pydantic_extra__:
        return True
    nested = _NESTED_FIELDS.get(type(model))
    for name in _nested(type(model)) if nested is None else nested:
        value = getattr(model, name)
        # `is not None` first: most of these fields are unset, and it costs less than an isinstance
        if value is not None and isinstance(value, BaseModel) and _has_drift(value):
            return True
    return False


def _nested(cls: type[BaseModel]) -> tuple[str, ...]:
    nested = _NESTED_FIELDS.get(cls)
    if nested is None:
        nested = _NESTED_FIELDS[cls] = _nested_fields(cls)
    return nested


_NESTED_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `cls` whose value can be a model (checked by drift); the rest never hold one."""
    return tuple(name for name, info in cls.__pydantic_fields__.items() if name != "custom" and _may_hold_model(info.annotation))


def _may_hold_model(annotation: Any) -> bool:
    if annotation in _SCALARS:
        return False
    origin = typing.get_origin(annotation)
    if origin is Literal or origin in (list, dict, set, frozenset, tuple):
        return False  # a validated value of these types is a str / container, never a model
    if origin is Union or origin is types.UnionType:
        return any(_may_hold_model(arg) for arg in typing.get_args(annotation))
    if origin is Annotated:
        return _may_hold_model(typing.get_args(annotation)[0])
    return True  # a model, Any, or anything else: looked at


from braze_harness.protocol.events import EVENT_CLASSES as _EVENT_CLASSES  # noqa: E402
from braze_harness.protocol.events import KNOWN_EVENT_CODES as _TAGS  # noqa: E402


def _flat_data_classes() -> frozenset[type[BaseModel]]:
    """The data models of known event codes with no field that can hold a model: their drift is their extras."""
    found: set[type[BaseModel]] = set()
    for cls in _EVENT_CLASSES.values():
        annotation = cls.__pydantic_fields__["data"].annotation
        for option in typing.get_args(annotation) or (annotation,):
            if isinstance(option, type) and issubclass(option, BaseModel) and not _nested(option):
                found.add(option)
    return frozenset(found)


_FLAT_DATA = _flat_data_classes()
# `_events_drift` looks at `alias` and `data`: right while no event class has another field that can hold a model
_BATCH_DRIFT_CHECK = all(set(_nested(cls)) <= {"alias", "data"} for cls in _EVENT_CLASSES.values())
