"""Which workspace an expectation looks in: the test's `test` workspace unless told (`.in_workspace("prod")`,
`.in_all_workspaces()`), so a build that sends to another workspace's key fails instead of passing.

A source says which workspace each of the test's api keys is in (`Source.workspace_keys()`: api key -> workspace
name, None when it cannot tell, e.g. a HAR import: then nothing is filtered). Traffic under a key the test did not
make is in no workspace of the test, so only `.in_all_workspaces()` sees it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from braze_harness.journal import JournalEntry

DEFAULT_WORKSPACE = "test"
ALL = None  # `workspace=ALL`: every workspace (and keys in none)


class BrazeWorkspaceWarning(UserWarning):
    """A test's traffic went to a workspace its expectations did not look in (a build on the wrong api key?)."""


def workspace_keys(source: Any) -> Mapping[str, str] | None:
    """The source's api key -> workspace map; None when it cannot tell (no filtering then)."""
    read = getattr(source, "workspace_keys", None)
    return read() if callable(read) else None


def label(api_key: str | None, keys: Mapping[str, str]) -> str:
    """The workspace an entry's key is in, as a message names it."""
    if api_key is None:
        return "no api key"
    return keys.get(api_key) or f"another app's key {api_key!r}"


def in_workspace(entries: Iterable[JournalEntry], source: Any, workspace: str | None) -> list[JournalEntry]:
    """The entries of `workspace` (None: all). Entries without an api key (REST calls, captures) are kept."""
    entries = list(entries)
    keys = workspace_keys(source) if workspace is not None else None
    if keys is None:
        return entries
    return [e for e in entries if e.api_key is None or keys.get(e.api_key) == workspace]


def elsewhere(entries: Iterable[JournalEntry], source: Any, workspace: str | None) -> dict[str, int]:
    """Requests outside `workspace`, counted by where they went (`{"prod": 3}`)."""
    keys = workspace_keys(source) if workspace is not None else None
    counts: dict[str, int] = {}
    if keys is None:
        return counts
    for e in entries:
        if e.api_key is not None and keys.get(e.api_key) != workspace:
            where = label(e.api_key, keys)
            counts[where] = counts.get(where, 0) + 1
    return counts


def profile_keys(source: Any, workspace: str | None) -> list[str] | None:
    """The api keys whose workspace's profiles an expectation reads (None: all profiles of the scope)."""
    keys = workspace_keys(source) if workspace is not None else None
    if keys is None:
        return None
    return sorted(k for k, ws in keys.items() if ws == workspace)


class InWorkspace:
    """The workspace choice every expectation has: `.in_workspace(name)`, `.in_all_workspaces()`."""

    workspace: str | None = DEFAULT_WORKSPACE
    looked: set[str | None] | None = None  # the Expect's record of where its expectations looked (for the warning)

    def _start_in(self, workspace: str | None, looked: set[str | None] | None) -> None:
        self.workspace = workspace
        self.looked = looked
        if looked is not None:
            looked.add(workspace)

    def in_workspace(self, name: str) -> Any:
        """Look in this workspace of the test (`braze.app_key("prod")`'s is "prod") instead of `test`."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"in_workspace(name): a workspace name such as 'prod', not {name!r}")
        self._start_in(name, self.looked)
        return self

    def in_all_workspaces(self) -> Any:
        """Look at all the test's traffic and profiles, whatever workspace they are in."""
        self._start_in(ALL, self.looked)
        return self

    def _where(self) -> str:
        return "" if self.workspace in (None, DEFAULT_WORKSPACE) else f" in workspace {self.workspace!r}"


def warn_stray(
    entries: Iterable[JournalEntry], keys: Mapping[str, str], *, looked_in: Iterable[str | None] = (), stacklevel: int = 2
) -> dict[str, int]:
    """At a test's end: warn (BrazeWorkspaceWarning) about traffic in workspaces no expectation looked in."""
    seen = set(looked_in)
    if None in seen:  # `.in_all_workspaces()`: the test looked everywhere
        return {}
    counts: dict[str, int] = {}
    for e in entries:
        if e.api_key is None:
            continue
        where = keys.get(e.api_key)
        if where == DEFAULT_WORKSPACE or where in seen:
            continue
        name = label(e.api_key, keys)
        counts[name] = counts.get(name, 0) + 1
    for name, n in counts.items():
        warnings.warn(
            f"{n} request(s) of this test went to workspace {name!r}, which no expectation looked in "
            f"(expectations read workspace {DEFAULT_WORKSPACE!r} unless told: .in_workspace(name) / .in_all_workspaces())",
            BrazeWorkspaceWarning,
            stacklevel=stacklevel,
        )
    return counts


__all__ = [
    "ALL",
    "DEFAULT_WORKSPACE",
    "BrazeWorkspaceWarning",
    "InWorkspace",
    "elsewhere",
    "in_workspace",
    "profile_keys",
    "warn_stray",
    "workspace_keys",
]
