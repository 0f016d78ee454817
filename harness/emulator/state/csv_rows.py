"""Rows of a CSV user import applied to a workspace: each row is the `/users/track` object it amounts to
(`braze_harness.protocol.csv_users`), applied by the same code as `/users/track` (state/rest_users.py), plus the CSV
import's own identity rules (docs/csv-import.md): an unknown alias creates an alias-only user, an alias that belongs
to a user with an external id is refused, and with "update existing only" a row naming no existing user is an error
in the report (where /users/track skips it without a word)."""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.state import rest_users
from braze_harness.emulator.state.profiles import Profile
from braze_harness.emulator.state.workspaces import Workspace
from braze_harness.protocol.csv_users import Kind, Row, RowIssue


def apply_rows(
    ws: Workspace, kind: Kind, rows: list[Row], *, update_existing_only: bool, array_cap: int, now: float | None = None
) -> list[RowIssue]:
    """Apply up to 75 rows (one /users/track batch); the issues of the rows that failed, in row order."""
    issues: list[RowIssue] = []
    batch: list[Row] = []
    for row in rows:
        refused = _refusal(ws, row, update_existing_only)
        if refused is not None:
            issues.append(RowIssue(row.line, refused[0], column=refused[1]))
            continue
        obj = row.obj
        if "user_alias" in obj:
            obj["_update_existing_only"] = update_existing_only  # the CSV import creates alias-only users
        elif update_existing_only:
            obj["_update_existing_only"] = True
        batch.append(row)
    if batch:
        out = rest_users.track(ws, {kind: [r.obj for r in batch]}, array_cap=array_cap, now=now)
        for error in out.get("errors", []):
            row = batch[error["index"]]
            field = str(error.get("field", "")).split(".", 1)
            issues.append(RowIssue(row.line, error["type"], column=field[1] if len(field) == 2 else None))
    issues.sort(key=lambda i: i.row)
    return issues


def _refusal(ws: Workspace, row: Row, update_existing_only: bool) -> tuple[str, str] | None:
    """Why a row is refused before it is applied (message, column), or None."""
    how, value = row.identifier
    if how == "user_alias":
        label, _, name = value.partition(":")
        found = ws.profile(ws.by_alias.get((label, name)))
        if found is not None and found.external_id is not None:
            return (
                f"alias {name!r} ({label}) belongs to a user with external_id {found.external_id!r}: a CSV import "
                "cannot update them by alias (Braze would create a second profile; the emulator does not): use "
                "/users/identify or the external_id",
                "user_alias_name",
            )
        if found is None and update_existing_only:
            return f"no user with alias {name!r} ({label}) (update existing only)", "user_alias_name"
        return None
    if update_existing_only and _existing(ws, how, value) is None:
        return f"no user with {how} {value!r} (update existing only)", how
    return None


def _existing(ws: Workspace, how: str, value: str) -> Profile | Any:
    if how == "external_id":
        return ws.by_external(value)
    if how == "braze_id":
        return ws.profile(value)
    if how == "email":
        return next((p for p in ws.profiles.values() if p.standard.get("email") == value), None)
    return True  # phone: /users/track names what the emulator cannot do
