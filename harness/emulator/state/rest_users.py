"""The REST user endpoints on the profiles the SDKs write: `/users/track` and `/users/export/ids`
(docs/server-behaviour.md, rest-user-tracking, rest-user-export and emulator-rules). A test seeds server-side state the way a
backend would
(attributes for a segment, a purchase history) and reads a profile back in Braze's export shape.

Identifiers: `external_id` (created unless `_update_existing_only`), `braze_id` (existing only),
`user_alias` (update only, created with `_update_existing_only: false`), `email` (the most recent profile
with an external id wins; none: an email-only profile). `phone` as identifier is refused with a non-fatal error
naming the object.

Push token import (`push_token_import: true` with `push_tokens: [{"app_id", "token", "device_id"}]`): the tokens of
an identified user go to that profile; without an identifier Braze creates one anonymous profile for the tokens
(and ignores the object when every token is already known). `app_id` is the app's identifier (the SDK api key);
web push tokens cannot be imported through the API, as Braze says
(https://www.braze.com/docs/help/help_articles/push/push_token_migration/).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from braze_harness.emulator.state import events, push
from braze_harness.emulator.state.attributes import AttributeWriter
from braze_harness.emulator.state.profiles import Profile
from braze_harness.emulator.state.workspaces import Workspace
from braze_harness.protocol import Problem
from braze_harness.protocol.attributes import STANDARD_ATTRIBUTES
from braze_harness.protocol.events import CustomEvent, Purchase
from braze_harness.protocol.rest import TRACK_OPTIONS, TRACK_UNSUPPORTED, track_identifier, track_operation
from pydantic import ValidationError

MAX_TRACK_OBJECTS = 75
MAX_EXPORT_IDS = 50
_EXPORT_STANDARD = ("first_name", "last_name", "email", "dob", "home_city", "country", "phone", "language", "time_zone", "gender")


class RestInputError(ValueError):
    """A fatal REST error: HTTP 400 with Braze's message (`Bad Request`, `Max Input Length Exceeded`, ...)."""

    def __init__(self, braze_message: str, detail: str) -> None:
        super().__init__(detail)
        self.braze_message = braze_message


# -- /users/track ---------------------------------------------------------------------------------


def track(ws: Workspace, body: Any, *, array_cap: int, now: float | None = None) -> dict[str, Any]:
    """Apply a `/users/track` body: attributes, then events, then purchases. A bad object is a non-fatal
    error (`{"type", "input_array", "index"}`) and the others still apply; a bad body raises RestInputError."""
    now = time.time() if now is None else now
    if not isinstance(body, dict):
        raise RestInputError("Bad Request", "the body must be a JSON object")
    unknown = set(body) - {"attributes", "events", "purchases"}
    if unknown:
        raise RestInputError("Bad Request", f"unknown field(s) {sorted(unknown)}; allowed: attributes, events, purchases")
    for kind in ("attributes", "events", "purchases"):
        if not isinstance(body.get(kind, []), list):
            raise RestInputError("Bad Request", f"{kind} must be an array")
        if len(body.get(kind, [])) > MAX_TRACK_OBJECTS:
            raise RestInputError("Max Input Length Exceeded", f"{kind}: more than {MAX_TRACK_OBJECTS} objects")
    errors: list[dict[str, Any]] = []
    processed = {"attributes": set(), "events": 0, "purchases": 0}
    apply = {"attributes": _attributes, "events": _event, "purchases": _purchase}
    for kind in ("attributes", "events", "purchases"):
        for index, obj in enumerate(body.get(kind, [])):
            where = f"{kind}[{index}]"
            problems: list[Problem] = []
            profile = _resolve(ws, obj, where, problems, now) if isinstance(obj, dict) else None
            if not isinstance(obj, dict):
                problems.append(Problem(where=where, message="must be an object"))
            if profile is not None and kind == "attributes" and ("push_token_import" in obj or "push_tokens" in obj):
                _import(ws, profile, obj, where, problems)
            if profile is not None:
                before = len(problems)
                apply[kind](profile, obj, where, problems, array_cap, now)
                if kind == "attributes":
                    processed["attributes"].add(profile.braze_id)
                elif len(problems) == before:
                    processed[kind] += 1
            errors.extend({"type": p.message, "input_array": kind, "index": index, "field": p.where} for p in problems)
    out: dict[str, Any] = {"message": "success"}
    for kind in ("attributes", "events", "purchases"):
        if kind in body:
            count = processed[kind]
            out[f"{kind}_processed"] = len(count) if isinstance(count, set) else count
    if errors:
        out["errors"] = errors
    return out


def _resolve(ws: Workspace, obj: dict[str, Any], where: str, problems: list[Problem], now: float) -> Profile | None:
    given = track_identifier(obj)
    if not given and obj.get("push_token_import") is True:
        tokens = _import_tokens(ws, obj, where, problems)
        if tokens is None:
            return None
        known = {t.token for p in ws.profiles.values() for t in p.push_tokens.values()}
        if all(t["token"] in known for t in tokens):
            return None  # every token is already in Braze: the object is ignored
        return ws.new_profile(now=now)  # Braze's temporary anonymous profile for imported tokens
    if len(given) != 1:
        what = "no identifier" if not given else f"several identifiers ({', '.join(given)})"
        problems.append(Problem(where=where, message=f"{what}: exactly one of external_id, braze_id, user_alias, email needed"))
        return None
    key, value = given[0], obj[given[0]]
    update_only = obj.get("_update_existing_only")
    if key == "external_id":
        if not isinstance(value, str) or not value:
            problems.append(Problem(where=f"{where}.external_id", message="must be a non-empty string"))
            return None
        found = ws.by_external(value)
        return found if found is not None or update_only is True else ws.new_profile(external_id=value, now=now)
    if key == "braze_id":
        found = ws.profile(value if isinstance(value, str) else None)
        if found is None:
            problems.append(Problem(where=f"{where}.braze_id", message=f"no profile with braze_id {value!r}"))
        return found
    if key == "user_alias":
        named = isinstance(value, dict) and all(isinstance(value.get(k), str) for k in ("alias_name", "alias_label"))
        if not named:
            problems.append(Problem(where=f"{where}.user_alias", message="must be {alias_name, alias_label} strings"))
            return None
        label, name = value["alias_label"], value["alias_name"]
        found = ws.profile(ws.by_alias.get((label, name)))
        # alias-only profiles only on request (docs/server-behaviour.md, rest-user-tracking)
        if found is None and update_only is False:
            found = ws.new_profile(now=now)
            found.aliases[label] = name
            ws.by_alias[(label, name)] = found.braze_id
        return found  # update only by default: an unknown alias changes nothing, silently
    if key == "email":
        if not isinstance(value, str) or "@" not in value:
            problems.append(Problem(where=f"{where}.email", message=f"not an email address: {value!r}"))
            return None
        matches = [p for p in ws.profiles.values() if p.standard.get("email") == value]
        known = [p for p in matches if p.external_id is not None]
        if known or matches:
            return max(known or matches, key=lambda p: p.created_at)
        if update_only is True:
            return None
        found = ws.new_profile(now=now)
        found.standard["email"] = value
        found.standard_set_at["email"] = now
        return found
    problems.append(Problem(where=f"{where}.{key}", message=f"{key} as identifier is not supported by this emulator"))
    return None


def _attributes(profile: Profile, obj: dict[str, Any], where: str, problems: list[Problem], array_cap: int, now: float) -> None:
    writer = AttributeWriter(profile, problems, array_cap, now)
    merge = obj.get("_merge_objects") is True
    named_by = track_identifier(obj)
    for key, value in obj.items():
        at = f"{where}.{key}"
        if key in TRACK_OPTIONS and (key in named_by or key not in ("email", "phone")):
            continue  # the identifier and the request options; email and phone are profile fields otherwise
        if key in STANDARD_ATTRIBUTES:
            writer.standard_field(at, key, value)
        elif key in TRACK_UNSUPPORTED:
            problems.append(Problem(where=at, message=f"{key} through /users/track is not supported by this emulator"))
        elif (operation := track_operation(value)) == "inc":
            if isinstance(value["inc"], bool) or not isinstance(value["inc"], int | float):
                problems.append(Problem(where=at, message="inc must be a number"))
            else:
                writer.increment(at, key, value["inc"])
        elif operation == "array":
            for op, items in value.items():
                if not isinstance(items, list):
                    problems.append(Problem(where=f"{at}.{op}", message="must be an array"))
                    continue
                for item in items:
                    (writer.array_add if op == "add" else writer.array_remove)(at, key, item)
        elif isinstance(value, dict) and merge:
            writer.nested_merge(at, key, value)
        else:
            writer.custom_value(at, key, value)


def _import_tokens(ws: Workspace, obj: dict[str, Any], where: str, problems: list[Problem]) -> list[dict[str, Any]] | None:
    """The object's `push_tokens`, each checked (an app of this workspace, not web, a token string), or None."""
    if obj.get("push_token_import") is not True:
        problems.append(Problem(where=f"{where}.push_tokens", message="push_tokens needs push_token_import: true"))
        return None
    tokens = obj.get("push_tokens")
    if not isinstance(tokens, list) or not tokens:
        problems.append(Problem(where=f"{where}.push_tokens", message="push_token_import needs a non-empty push_tokens array"))
        return None
    for i, t in enumerate(tokens):
        at = f"{where}.push_tokens[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("token"), str) or not t["token"]:
            problems.append(Problem(where=at, message="must be {app_id, token, device_id} with a token string"))
            return None
        app = ws.apps.get(t.get("app_id")) if isinstance(t.get("app_id"), str) else None
        if app is None:
            problems.append(Problem(where=f"{at}.app_id", message=f"no app {t.get('app_id')!r} in this workspace"))
            return None
        if app.platform == "web":
            problems.append(Problem(where=f"{at}.app_id", message="web push tokens cannot be imported through the API"))
            return None
    return tokens


def _import(ws: Workspace, profile: Profile, obj: dict[str, Any], where: str, problems: list[Problem]) -> None:
    """Register the object's imported tokens on `profile` (one per app and device, as the SDK's are)."""
    for t in _import_tokens(ws, obj, where, problems) or []:
        app = ws.apps[t["app_id"]]
        device_id = t.get("device_id") if isinstance(t.get("device_id"), str) and t["device_id"] else f"import:{t['token']}"
        push.register(ws, profile, app.api_key, device_id, t["token"], app.platform, enabled=True, keys={})


def _event(profile: Profile, obj: dict[str, Any], where: str, problems: list[Problem], _cap: int, now: float) -> None:
    when = _time(obj.get("time"), f"{where}.time", problems, now)
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(where=f"{where}.name", message="a non-empty event name is required"))
        return
    if when is None:
        return
    raw = {"name": "ce", "time": when, "data": {"n": name, "p": obj.get("properties") or {}}}
    event = _model(CustomEvent, raw, where, problems)
    if event is not None:
        events.custom_event(profile, event, None, where, problems)


def _purchase(profile: Profile, obj: dict[str, Any], where: str, problems: list[Problem], _cap: int, now: float) -> None:
    when = _time(obj.get("time"), f"{where}.time", problems, now)
    missing = [k for k in ("product_id", "currency", "price") if obj.get(k) is None]
    if missing:
        problems.append(Problem(where=where, message=f"missing {', '.join(missing)}"))
        return
    if when is None:
        return
    data = {"pid": obj["product_id"], "c": obj["currency"], "p": obj["price"], "q": obj.get("quantity", 1)}
    data["pr"] = obj.get("properties") or {}
    event = _model(Purchase, {"name": "p", "time": when, "data": data}, where, problems)
    if event is not None:
        events.purchase(profile, event, where, problems)


def _model(cls: Any, raw: dict[str, Any], where: str, problems: list[Problem]) -> Any:
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"][1:])  # data.p -> the REST names are close enough to locate
        problems.append(Problem(where=f"{where}.{field}" if field else where, message=first["msg"]))
        return None


def _time(raw: Any, where: str, problems: list[Problem], now: float) -> float | None:
    """ISO 8601; no zone means UTC; a time in the future is taken as now (docs/server-behaviour.md, events)."""
    if not isinstance(raw, str):
        problems.append(Problem(where=where, message="an ISO 8601 time is required"))
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem(where=where, message=f"not an ISO 8601 time: {raw!r}"))
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return min(parsed.timestamp(), now)


# -- /users/export/ids ----------------------------------------------------------------------------


def export_ids(ws: Workspace, body: Any) -> dict[str, Any]:
    """The profiles named by `external_ids` / `user_aliases` (≤ 50 together) or one `device_id`, `braze_id`,
    `email_address`, in Braze's export shape, restricted to `fields_to_export` when given."""
    if not isinstance(body, dict):
        raise RestInputError("Bad Request", "the body must be a JSON object")
    allowed = {"external_ids", "user_aliases", "device_id", "braze_id", "email_address", "phone", "fields_to_export"}
    unknown = set(body) - allowed
    if unknown:
        raise RestInputError("Bad Request", f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
    ids, aliases = body.get("external_ids") or [], body.get("user_aliases") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RestInputError("Bad Request", "external_ids must be an array of strings")
    if not isinstance(aliases, list) or not all(isinstance(a, dict) for a in aliases):
        raise RestInputError("Bad Request", "user_aliases must be an array of {alias_name, alias_label}")
    if len(ids) + len(aliases) > MAX_EXPORT_IDS:
        raise RestInputError("The max number of external_ids and aliases per request was exceeded", f"more than {MAX_EXPORT_IDS}")
    fields = body.get("fields_to_export")
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
        raise RestInputError("Bad Request", "fields_to_export must be an array of field names")
    found: dict[str, Profile] = {}
    invalid: list[str] = []
    for external_id in ids:
        p = ws.by_external(external_id)
        if p is None:
            invalid.append(external_id)
        else:
            found[p.braze_id] = p
    for alias in aliases:
        p = ws.profile(ws.by_alias.get((str(alias.get("alias_label")), str(alias.get("alias_name")))))
        if p is not None:
            found[p.braze_id] = p
    single = [(k, body[k]) for k in ("device_id", "braze_id", "email_address") if body.get(k)]
    for key, value in single:
        for p in ws.profiles.values():
            if (
                (key == "braze_id" and p.braze_id == value)
                or (key == "email_address" and p.standard.get("email") == value)
                or (key == "device_id" and any(d == value for _app, d in p.devices))
            ):
                found[p.braze_id] = p
    if not ids and not aliases and not single:
        raise RestInputError("Bad Request", "give external_ids, user_aliases, device_id, braze_id or email_address")
    users = [_export_user(p, ws) for p in found.values()]
    if fields is not None:
        users = [{k: v for k, v in u.items() if k in fields} for u in users]
    out: dict[str, Any] = {"users": users, "message": "success"}
    if invalid:
        out["invalid_user_ids"] = invalid
    return out


def _export_user(p: Profile, ws: Workspace) -> dict[str, Any]:
    def stamp(t: float) -> str:
        return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"

    def aggregates(table: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"name": n, "first": _iso(o.first), "last": _iso(o.last), "count": o.count} for n, o in table.items()]

    user: dict[str, Any] = {"created_at": stamp(p.created_at), "braze_id": p.braze_id}
    if p.external_id is not None:
        user["external_id"] = p.external_id
    if p.aliases:
        user["user_aliases"] = [{"alias_name": n, "alias_label": label} for label, n in sorted(p.aliases.items())]
    for key in _EXPORT_STANDARD:
        if key in p.standard:
            user[key] = p.standard[key].upper() if key == "gender" else p.standard[key]
    for key in ("push_subscribe", "email_subscribe"):
        if key in p.standard:
            user[key] = p.standard[key]
    user["total_revenue"] = float(p.revenue)
    if p.custom:
        user["custom_attributes"] = dict(p.custom)
    if p.custom_events:
        user["custom_events"] = aggregates(p.custom_events)
    if p.purchases:
        user["purchases"] = aggregates(p.purchases)
    if p.devices:
        user["devices"] = [
            {"device_id": d.device_id, "model": (d.device or {}).get("model"), "os": (d.device or {}).get("os_version")}
            for d in p.devices.values()
        ]
    if p.push_tokens:
        user["push_tokens"] = [
            {
                "app": ws.apps[t.app].name or t.app if t.app in ws.apps else t.app,
                "platform": t.platform,
                "token": t.token,
                "device_id": t.device_id,
                "notifications_enabled": t.notifications_enabled,
            }
            for t in p.push_tokens.values()
        ]
    return user


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
