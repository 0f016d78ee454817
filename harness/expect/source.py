"""Where expectations read from: a scope's journal entries and profiles, local or remote."""

from __future__ import annotations

from typing import Any, Protocol

from braze_harness.journal import Journal, JournalEntry, Query


class Source(Protocol):
    """A scope's view of the traffic. `wait` must block until something new arrives (no polling)."""

    scope: str | None

    def entries(self, after_seq: int = 0) -> list[JournalEntry]: ...

    def latest_seq(self) -> int: ...

    def wait(self, after_seq: int, timeout: float) -> bool: ...

    def profiles(
        self, *, external_id: str | None = None, device_id: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]: ...

    # optional: `workspace_keys() -> {api_key: workspace name} | None` (expect/workspaces.py); without it, or None,
    # expectations see every workspace


class JournalSource:
    """In-process: a journal (and, when there is one, the emulator state behind it)."""

    def __init__(self, journal: Journal, scope: str | None = None, state: Any = None, *, messaging: Any = None) -> None:
        self.journal = journal
        self.scope = scope
        self.state = state
        self.messaging = messaging  # the emulator's Messaging, for `messaging_why` (expect/why.py); None: unknown

    def messaging_why(self, **query: str | None) -> dict[str, Any]:
        if self.messaging is None or self.scope is None:
            return {"decisions": [], "verdicts": {}}
        wanted = {k: v for k, v in query.items() if v}
        return self.messaging.why(self.scope, entries=self.entries(), **wanted)

    def entries(self, after_seq: int = 0) -> list[JournalEntry]:
        return self.journal.query(Query(scope=self.scope, after_seq=after_seq))

    def latest_seq(self) -> int:
        return self.journal.last_seq(self.scope)

    def wait(self, after_seq: int, timeout: float) -> bool:
        return self.journal.wait(after_seq, timeout, self.scope)

    def workspace_keys(self) -> dict[str, str] | None:
        """The scope's apps by workspace (`{scope}/prod` -> "prod"); None without a scope or state (a HAR import)."""
        if self.state is None or self.scope is None:
            return None
        prefix = f"{self.scope}/"
        return {a.api_key: a.workspace.removeprefix(prefix) for a in self.state.apps(scope=self.scope)}

    def profiles(
        self, *, external_id: str | None = None, device_id: str | None = None, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        if self.state is None:
            raise RuntimeError(
                "this journal has no emulator state behind it (e.g. a HAR import): profile expectations need the emulator"
            )
        found = self.state.profiles(external_id=external_id, device_id=device_id, api_key=api_key, scope=self.scope)
        return [self.state.profile_json(p) for p in found]
