"""One journal of decoded SDK traffic, shared by every source (emulator, proxy, HAR, devices)."""

from harness.journal.entry import Exchange, JournalEntry, describe_event
from harness.journal.query import Query
from harness.journal.store import DEFAULT_CAP, Journal, ScopeRegistry, read_sqlite

__all__ = ["DEFAULT_CAP", "Exchange", "Journal", "JournalEntry", "Query", "ScopeRegistry", "describe_event", "read_sqlite"]
