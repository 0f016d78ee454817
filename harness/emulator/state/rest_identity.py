"""The REST user-identity endpoints on the profiles the SDKs write (docs/server-behaviour.md, rest-user-identity):
`/users/identify`, `/users/alias/new`, `/users/alias/update`, `/users/merge`, `/users/external_ids/rename`,
`/users/external_ids/remove`, `/users/delete`.

Merges reuse the SDK's merge rule (identity.merge: known values win, counts add up, devices, sessions and push
tokens move, the merged profile is deleted). Both REST merges keep the raw event and engagement logs of both
profiles: the identify and merge pages list "message and message engagement history" and "custom event and
purchase event data" among what is merged.

A bad body or more than 50 items is fatal (RestInputError -> 400); an item that cannot be applied is a non-fatal
error `{"type", "input_array", "index"}` (as in `/users/track`) and the others still apply. Identifying by phone
number is not modelled (as in `/users/track`): named as an error, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from braze_harness.emulator.state import identity
from braze_harness.emulator.state.profiles import Profile
from braze_harness.emulator.state.rest_users import RestInputError
from braze_harness.emulator.state.workspaces import Workspace
from braze_harness.protocol import Problem

MAX_ITEMS = 50  # every one of these endpoints takes at most 50 objects or ids per request
MAX_ALIAS_BYTES = 236  # alias_name and alias_label (Braze's user alias object page)
_PRIORITIES = frozenset({"identified", "unidentified", "most_recently_updated", "least_recently_updated"})

Errors = list[dict[str, Any]]


class _Skip(Exception):
    """One item that cannot be applied: a non-fatal error naming it."""


def _object(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RestInputError("Bad Request", "the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise RestInputError("Bad Request", f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
    return body


def _array(body: dict[str, Any], key: str, *, required: bool = True) -> list[Any]:
    items = body.get(key)
    if items is None and not required:
        return []
    if not isinstance(items, list) or (required and not items):
        raise RestInputError("Bad Request", f"{key} must be a non-empty array")
    if len(items) > MAX_ITEMS:
        raise RestInputError("Max Input Length Exceeded", f"{key}: more than {MAX_ITEMS} items ({len(items)})")
    return items


def _string(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise _Skip(f"{key} must be a non-empty string")
    return value


def _alias(value: Any) -> tuple[str, str]:
    """(label, name) of a user alias object."""
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and value[k] for k in ("alias_name", "alias_label")):
        raise _Skip("user_alias must be {alias_name, alias_label} non-empty strings")
    return value["alias_label"], value["alias_name"]


def _new_alias(label: str, name: str) -> None:
    """An alias about to be written: each part at most MAX_ALIAS_BYTES in UTF-8."""
    for key, value in (("alias_label", label), ("alias_name", name)):
        if len(value.encode()) > MAX_ALIAS_BYTES:
            raise _Skip(f"{key} is {len(value.encode())} bytes, over {MAX_ALIAS_BYTES}")


def _by_email(ws: Workspace, email: Any, prioritization: Any) -> Profile:
    """The one profile an email with `prioritization` names (identify, merge and delete by email).

    The emulator keeps no update time per profile: `most_/least_recently_updated` decides nothing, so when more
    than one profile is left the item is refused rather than guessed (Braze: no merge when more than one matches)."""
    if not isinstance(email, str) or "@" not in email:
        raise _Skip(f"not an email address: {email!r}")
    if not isinstance(prioritization, list) or not prioritization or not set(prioritization) <= _PRIORITIES:
        raise _Skip(f"prioritization must be a non-empty array of {', '.join(sorted(_PRIORITIES))}")
    if {"identified", "unidentified"} <= set(prioritization):
        raise _Skip("prioritization may hold only one of identified, unidentified")
    found = [p for p in ws.profiles.values() if p.standard.get("email") == email]
    if "identified" in prioritization:
        found = [p for p in found if p.external_id is not None]
    if "unidentified" in prioritization:
        found = [p for p in found if p.external_id is None]
    if not found:
        raise _Skip(f"no profile with email {email!r} matches {prioritization}")
    if len(found) > 1:
        raise _Skip(f"{len(found)} profiles with email {email!r} match {prioritization}; the emulator keeps no update times")
    return found[0]


def _each(items: list[Any], array: str, errors: Errors, apply: Callable[[dict[str, Any]], bool]) -> int:
    """Apply every object of `array`; a _Skip is a non-fatal error. The number applied."""
    done = 0
    for index, obj in enumerate(items):
        try:
            if not isinstance(obj, dict):
                raise _Skip("must be an object")
            done += apply(obj)
        except _Skip as exc:
            errors.append({"type": str(exc), "input_array": array, "index": index})
    return done


def _answer(out: dict[str, Any], errors: Errors) -> dict[str, Any]:
    return {**out, "errors": errors} if errors else out


# -- /users/identify --------------------------------------------------------------------------------


def identify(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Give an alias-only (or email-only) profile an external_id: it takes the id when no profile has it, else it is
    merged into that profile and deleted; not combined when the known profile already has an alias of that label."""
    body = _object(body, {"aliases_to_identify", "emails_to_identify", "phone_numbers_to_identify"})
    if body.get("phone_numbers_to_identify"):
        raise RestInputError("Bad Request", "phone_numbers_to_identify is not supported by this emulator")
    aliases = _array(body, "aliases_to_identify", required="emails_to_identify" not in body)
    emails = _array(body, "emails_to_identify", required=not aliases)
    if len(aliases) + len(emails) > MAX_ITEMS:
        raise RestInputError("Max Input Length Exceeded", f"more than {MAX_ITEMS} users to identify in one request")
    errors: Errors = []

    def by_alias(obj: dict[str, Any]) -> bool:
        label, name = _alias(obj.get("user_alias"))
        profile = ws.profile(ws.by_alias.get((label, name)))
        if profile is None:
            raise _Skip(f"no profile with alias {label}:{name}")
        return _identify(ws, profile, _string(obj, "external_id"), label)

    def by_email(obj: dict[str, Any]) -> bool:
        profile = _by_email(ws, obj.get("email"), obj.get("prioritization"))
        return _identify(ws, profile, _string(obj, "external_id"), None)

    done = _each(aliases, "aliases_to_identify", errors, by_alias) + _each(emails, "emails_to_identify", errors, by_email)
    return _answer({"aliases_processed": done, "message": "success"}, errors)


def _identify(ws: Workspace, profile: Profile, external_id: str, label: str | None) -> bool:
    if profile.external_id is not None:
        if profile.external_id == external_id:
            return True  # already this user: nothing to do
        raise _Skip(f"profile {profile.braze_id} is already identified as {profile.external_id!r}")
    known = ws.by_external(external_id)
    if known is None:
        profile.external_id = external_id
        ws.by_external_id[external_id] = profile.braze_id
        return True
    if label is not None and label in known.aliases:
        raise _Skip(f"{external_id!r} already has an alias labelled {label!r}: the profiles are not combined")
    identity.merge(ws, profile, known, keep_logs=True)
    return True


# -- /users/alias/new and /users/alias/update --------------------------------------------------------


def alias_new(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Add an alias to the profile of `external_id`, or (no external_id) create an alias-only profile. A pair that
    already exists changes nothing and still counts as processed (as Braze answers)."""
    items = _array(_object(body, {"user_aliases"}), "user_aliases")
    errors: Errors = []

    def apply(obj: dict[str, Any]) -> bool:
        label, name = _alias(obj)
        _new_alias(label, name)
        if ws.by_alias.get((label, name)) is not None:
            return True
        if obj.get("external_id") is None:
            profile = ws.new_profile(now=now)
        else:
            profile = ws.by_external(_string(obj, "external_id"))
            if profile is None:
                raise _Skip(f"no profile with external_id {obj['external_id']!r}: the alias is not added")
        problems: list[Problem] = []
        identity.add_alias(ws, profile, name, label, "", problems, fill_only=False)
        if problems:
            raise _Skip(problems[0].message)
        return True

    done = _each(items, "user_aliases", errors, apply)
    return _answer({"aliases_processed": done, "message": "success"}, errors)


def alias_update(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Rename `old_alias_name` to `new_alias_name` under `alias_label`; an unknown pair updates nothing."""
    items = _array(_object(body, {"alias_updates"}), "alias_updates")
    errors: Errors = []

    def apply(obj: dict[str, Any]) -> bool:
        label, old, new = (_string(obj, k) for k in ("alias_label", "old_alias_name", "new_alias_name"))
        _new_alias(label, new)
        profile = ws.profile(ws.by_alias.get((label, old)))
        if profile is None:
            raise _Skip(f"no profile with alias {label}:{old}")
        owner = ws.by_alias.get((label, new))
        if owner is not None and owner != profile.braze_id:
            raise _Skip(f"alias {label}:{new} already belongs to profile {owner}")
        del ws.by_alias[(label, old)]
        profile.aliases[label] = new
        ws.by_alias[(label, new)] = profile.braze_id
        return True

    done = _each(items, "alias_updates", errors, apply)
    return _answer({"aliases_processed": done, "message": "success"}, errors)


# -- /users/merge ----------------------------------------------------------------------------------

_MERGE_IDS = (
    "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an "
    "object, 'email' property that is a string, or 'phone' property that is a string"
)


def merge(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Fold `identifier_to_merge` into `identifier_to_keep` with the SDK's merge rule; errors in Braze's words."""
    body = _object(body, {"merge_updates"})
    updates = body.get("merge_updates")
    if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
        raise RestInputError("'merge_updates' must be an array of objects", "merge_updates")
    if len(updates) > MAX_ITEMS:
        raise RestInputError(f"a single request may not contain more than {MAX_ITEMS} merge updates", "merge_updates")
    for index, update in enumerate(updates):
        if set(update) != {"identifier_to_merge", "identifier_to_keep"}:
            message = "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'"
            raise RestInputError(message, f"merge_updates[{index}]")
        for side in ("identifier_to_merge", "identifier_to_keep"):
            ident = update[side]
            kinds = [k for k in ("external_id", "user_alias", "email", "phone") if isinstance(ident, dict) and k in ident]
            good = len(kinds) == 1 and isinstance(ident[kinds[0]], dict if kinds[0] == "user_alias" else str)
            if not good:
                raise RestInputError(_MERGE_IDS, f"merge_updates[{index}].{side}")
    errors: Errors = []

    def apply(update: dict[str, Any]) -> bool:
        source, target = _identified(ws, update["identifier_to_merge"]), _identified(ws, update["identifier_to_keep"])
        if source is target:
            raise _Skip("identifier_to_merge and identifier_to_keep name the same profile")
        identity.merge(ws, source, target, keep_logs=True)
        return True

    _each(updates, "merge_updates", errors, apply)
    return _answer({"message": "success"}, errors)


def _identified(ws: Workspace, ident: dict[str, Any]) -> Profile:
    if "external_id" in ident:
        found = ws.by_external(ident["external_id"])
        what = f"external_id {ident['external_id']!r}"
    elif "user_alias" in ident:
        label, name = _alias(ident["user_alias"])
        found, what = ws.profile(ws.by_alias.get((label, name))), f"alias {label}:{name}"
    elif "email" in ident:
        return _by_email(ws, ident["email"], ident.get("prioritization"))
    else:
        raise _Skip("phone as identifier is not supported by this emulator")
    if found is None:
        raise _Skip(f"no profile with {what}")
    return found


# -- /users/external_ids/rename and /remove --------------------------------------------------------


def rename(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Give a profile a new primary external_id; the current one is deprecated and still finds the profile."""
    items = _array(_object(body, {"external_id_renames"}), "external_id_renames")
    renamed: list[str] = []
    rename_errors: list[list[Any]] = []
    for index, obj in enumerate(items):
        try:
            if not isinstance(obj, dict):
                raise _Skip("must be an object")
            current, new = _string(obj, "current_external_id"), _string(obj, "new_external_id")
            if current == new:
                raise _Skip("current_external_id and new_external_id cannot be the same")
            if current in ws.deprecated_external_ids:
                raise _Skip(f"current_external_id {current!r} is a deprecated id, not a primary one")
            profile = ws.by_external(current)
            if profile is None:
                raise _Skip(f"no profile with external_id {current!r}")
            if new in ws.by_external_id or new in ws.deprecated_external_ids:
                raise _Skip(f"new_external_id {new!r} is already in use")
            del ws.by_external_id[current]
            ws.deprecated_external_ids[current] = profile.braze_id
            profile.external_id = new
            ws.by_external_id[new] = profile.braze_id
            renamed.append(current)
        except _Skip as exc:
            rename_errors.append([index, str(exc)])
    out: dict[str, Any] = {"message": "success", "external_ids": renamed}
    return {**out, "rename_errors": rename_errors} if rename_errors else out


def remove(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Forget deprecated external_ids (a primary one is an error); the profile stays, under its primary id."""
    items = _array(_object(body, {"external_ids"}), "external_ids")
    removed: list[str] = []
    removal_errors: list[list[Any]] = []
    for index, old in enumerate(items):
        if isinstance(old, str) and ws.deprecated_external_ids.pop(old, None) is not None:
            removed.append(old)
        elif isinstance(old, str) and old in ws.by_external_id:
            removal_errors.append([index, f"{old!r} is a primary external_id; only deprecated ids can be removed"])
        else:
            removal_errors.append([index, f"{old!r} is not a deprecated external_id"])
    out: dict[str, Any] = {"message": "success", "removed_ids": removed}
    return {**out, "removal_errors": removal_errors} if removal_errors else out


# -- /users/delete ---------------------------------------------------------------------------------


def delete(ws: Workspace, body: Any, *, now: float) -> dict[str, Any]:
    """Delete profiles named by one kind of identifier (a deprecated external_id deletes its profile too, as
    Braze warns); the devices they were on start over as new anonymous users."""
    kinds = ("external_ids", "user_aliases", "braze_ids", "email_addresses", "phone_numbers")
    body = _object(body, set(kinds))
    given = [k for k in kinds if body.get(k) is not None]
    if len(given) != 1:
        raise RestInputError("Bad Request", f"give exactly one of {', '.join(kinds)} (got {', '.join(given) or 'none'})")
    kind = given[0]
    if kind == "phone_numbers":
        raise RestInputError("Bad Request", "phone_numbers is not supported by this emulator")
    items = _array(body, kind)
    errors: Errors = []

    def find(item: Any) -> Profile | None:
        if kind == "user_aliases":
            return ws.profile(ws.by_alias.get(_alias(item)))
        if kind == "email_addresses":
            if not isinstance(item, dict):
                raise _Skip("must be {email, prioritization}")
            return _by_email(ws, item.get("email"), item.get("prioritization"))
        if not isinstance(item, str):
            raise _Skip("must be a string")
        return ws.by_external(item) if kind == "external_ids" else ws.profile(item)

    deleted = 0
    for index, item in enumerate(items):
        try:
            profile = find(item)
        except _Skip as exc:
            errors.append({"type": str(exc), "input_array": kind, "index": index})
            continue
        if profile is not None:
            _forget(ws, profile.braze_id)
            deleted += 1
    return _answer({"deleted": deleted, "message": "success"}, errors)


def _forget(ws: Workspace, braze_id: str) -> None:
    ws.delete_profile(braze_id)
    for state in ws.device_states.values():
        if state.anonymous == braze_id:
            state.anonymous = None
        if state.claimed_by == braze_id:
            state.claimed_by, state.claimed_at = None, float("inf")
        for app in [a for a, (b, _) in state.current.items() if b == braze_id]:
            del state.current[app]


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "/users/identify": identify,
    "/users/alias/new": alias_new,
    "/users/alias/update": alias_update,
    "/users/merge": merge,
    "/users/external_ids/rename": rename,
    "/users/external_ids/remove": remove,
    "/users/delete": delete,
}
# Braze answers 202 (accepted, asynchronous) for a merge; 201 like /users/track for the others
STATUS = {"/users/merge": 202}
