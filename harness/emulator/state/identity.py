"""Who a piece of SDK data belongs to: anonymous profiles, identification, merges, aliases.

(docs/server-behaviour.md, changeuser and emulator-rules) when user_id U is first seen from device D:
  (a) D has an unclaimed anonymous profile and U is new  -> that profile becomes U, keeps everything;
  (b) D has an unclaimed anonymous profile and U exists  -> the anonymous profile is merged into U
      (known values win, counts add up) and deleted;
  (c) D was already identified (as A)                    -> U's own profile; nothing moves but the
      device's push token (push.py).
Data without user_id from a device that was identified is anonymous-period data arriving late (the
Web SDK sends the anonymous session's `se` after changeUser: docs/web-sdk-wire.md, sessions-and-changeuser;
requests may be reordered: docs/web-sdk-wire.md, ordering; an SDK never goes back to anonymous:
docs/server-behaviour.md, anonymous-users). It goes to the
profile that claimed the device's anonymous profile, written with the merge rule so it cannot
overwrite newer values of the known user. The exception is a *new* anonymous session started after
the identification: the same device_id starting over (wipeData or a reinstall with a forced or
IDFV device id: docs/mobile-wire.md, a-fresh-anonymous-user) is a new anonymous user.
"""

from __future__ import annotations

from dataclasses import dataclass

from braze_harness.emulator.state import events, push, sessions
from braze_harness.emulator.state.attributes import fill_missing, merge_attributes
from braze_harness.emulator.state.profiles import Profile
from braze_harness.emulator.state.workspaces import Workspace
from braze_harness.protocol.decode import Problem


@dataclass(slots=True)
class Route:
    profile: Profile
    late: bool = False  # anonymous-period data that arrived after the device was identified


def route(
    ws: Workspace,
    device_id: str | None,
    user_id: str | None,
    *,
    when: float,
    now: float,
    keep_logs: bool,
    new_session: bool = False,
) -> Route | None:
    """The profile an event or attributes object goes to; None when it cannot be told (no user, no device).

    `when` is the item's client time; `new_session` marks an `ss` whose session id is not known yet."""
    if user_id is not None:
        return Route(identify(ws, device_id, user_id, when=when, now=now, keep_logs=keep_logs))
    if device_id is None:
        return None
    state = ws.device_state(device_id)
    claimer = ws.profile(state.claimed_by)
    if claimer is not None and not (new_session and when > state.claimed_at):
        return Route(claimer, late=True)
    if claimer is not None:  # the device starts over as a new anonymous user
        state.claimed_by, state.claimed_at, state.anonymous = None, float("inf"), None
    anonymous = ws.profile(state.anonymous)
    if anonymous is None:
        anonymous = ws.new_profile(now=now)  # first data from the device (docs/server-behaviour.md, profile-lifecycle)
        state.anonymous = anonymous.braze_id
    return Route(anonymous)


def identify(ws: Workspace, device_id: str | None, user_id: str, *, when: float, now: float, keep_logs: bool) -> Profile:
    known = ws.by_external(user_id)
    state = ws.device_state(device_id) if device_id is not None else None
    if state is None or state.claimed_by is not None:
        # no device, or case (c): the user's own profile; the push token follows via the session (store.py)
        return known or ws.new_profile(external_id=user_id, now=now)
    anonymous = ws.profile(state.anonymous)
    if anonymous is None or known is anonymous:
        # known is anonymous: identified by the backend (REST /users/identify) while the device was still anonymous
        target = known or ws.new_profile(external_id=user_id, now=now)
    elif known is None:
        # (a) the anonymous profile becomes the identified one, braze_id and aliases included
        anonymous.external_id = user_id
        ws.by_external_id[user_id] = anonymous.braze_id
        target = anonymous
    else:
        # (b)
        merge(ws, anonymous, known, keep_logs=keep_logs)
        target = known
    state.anonymous = None
    state.claimed_by, state.claimed_at = target.braze_id, when
    return target


def merge(ws: Workspace, source: Profile, target: Profile, *, keep_logs: bool) -> None:
    """Fold `source` into `target` and delete it (docs/server-behaviour.md, merge-rules)."""
    merge_attributes(target, source)
    fill_missing(target.subscription_groups, source.subscription_groups)
    if target.location is None and source.location is not None:
        target.location = source.location
    for label, name in source.aliases.items():
        ws.by_alias.pop((label, name), None)
        if label not in target.aliases:  # on a label collision the target's alias is kept (docs/server-behaviour.md, changeuser)
            target.aliases[label] = name
            ws.by_alias[(label, name)] = target.braze_id
    source.aliases.clear()
    events.absorb(target, source, keep_logs=keep_logs)
    sessions.move_all(ws, source, target)  # always: session counts add up and late `se`s must find them
    for use in source.devices.values():
        target.touch_device(use)
    for key, token in source.push_tokens.items():
        # the device's token moves to the identified user (docs/server-behaviour.md, push-token-moves)
        target.push_tokens.setdefault(key, token)
        ws.token_holder[key] = target.braze_id
    source.push_tokens.clear()
    target.merged_from.extend([source.braze_id, *source.merged_from])
    for state in ws.device_states.values():
        if state.anonymous == source.braze_id:
            state.anonymous = None
        if state.claimed_by == source.braze_id:  # an identified source (REST /users/merge): its devices follow it
            state.claimed_by = target.braze_id
        for app, (braze_id, since) in list(state.current.items()):
            if braze_id == source.braze_id:
                state.current[app] = (target.braze_id, since)
    ws.delete_profile(source.braze_id)


def note_current(ws: Workspace, app: str, device_id: str | None, profile: Profile, when: float, *, switch: bool) -> None:
    """Track which profile (app, device) speaks for; a newer switch takes the device's push token along.

    With `switch` False the data only names a first owner. Older data never switches back: requests
    can arrive out of order."""
    if device_id is None:
        return
    state = ws.device_state(device_id)
    current = state.current.get(app)
    if current is not None and (current[0] == profile.braze_id or not switch or when < current[1]):
        return
    state.current[app] = (profile.braze_id, when)
    push.move(ws, app, device_id, profile)


def add_alias(
    ws: Workspace, profile: Profile, name: str, label: str, where: str, problems: list[Problem], *, fill_only: bool
) -> None:
    owner = ws.by_alias.get((label, name))
    if owner == profile.braze_id:
        return
    if owner is not None:
        # alias_name is unique per label in the workspace (docs/server-behaviour.md, identifiers)
        problems.append(Problem(where=where, message=f"alias {label}:{name} already belongs to profile {owner}: not added"))
        return
    if label in profile.aliases:
        if not fill_only:
            message = f"profile already has alias {label}:{profile.aliases[label]} (one name per label): not added"
            problems.append(Problem(where=where, message=message))
        return
    profile.aliases[label] = name
    ws.by_alias[(label, name)] = profile.braze_id
