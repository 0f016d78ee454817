"""Session records: `ss` opens, `se` closes with its duration (docs/web-sdk-wire.md, sessions-and-changeuser;
docs/server-behaviour.md, sessions, mobile-sessions and emulator-rules).

A session is found by its id across the whole workspace, not by who sent the event: the Web SDK sends
the anonymous session's `se` without user_id after changeUser, mobile SDKs send `se` on the next
launch, and requests arrive out of order. So an `se` lands on the session wherever it now lives
(moved by a merge included), and an `ss` arriving after its `se` completes the record.
"""

from __future__ import annotations

from braze_harness.emulator.state.profiles import Profile, SessionRecord
from braze_harness.emulator.state.workspaces import Workspace


def owner(ws: Workspace, session_id: str | None) -> Profile | None:
    return ws.profile(ws.session_owner.get(session_id)) if session_id else None


def _record(ws: Workspace, profile: Profile, session_id: str, app: str, device_id: str | None) -> SessionRecord:
    record = profile.sessions.get(session_id)
    if record is None:
        record = profile.sessions[session_id] = SessionRecord(session_id=session_id, device_id=device_id, app=app)
        ws.session_owner[session_id] = profile.braze_id
    return record


def start(ws: Workspace, profile: Profile, session_id: str, app: str, device_id: str | None, when: float) -> SessionRecord:
    record = _record(ws, profile, session_id, app, device_id)
    # a retried request repeats the `ss`: the session still counts once (count = distinct ids started)
    record.start = when if record.start is None else min(record.start, when)
    return record


def end(
    ws: Workspace, profile: Profile, session_id: str, app: str, device_id: str | None, when: float, duration: float
) -> SessionRecord:
    record = _record(ws, profile, session_id, app, device_id)  # unknown session: a closed record
    record.end = when
    record.duration = duration
    return record


def move_all(ws: Workspace, source: Profile, target: Profile) -> None:
    for session_id, record in source.sessions.items():
        target.sessions.setdefault(session_id, record)
        ws.session_owner[session_id] = target.braze_id
    source.sessions.clear()
