"""One journal of decoded SDK traffic, shared by every source (emulator, proxy, HAR, devices)."""

from harness.journal.entry import Exchange, JournalEntry, describe_event
from harness.journal.query import Query
from harness.journal.sqlite import RunInfo, list_runs, read_sqlite
from harness.journal.store import DEFAULT_CAP, Journal

__all__ = ["DEFAULT_CAP", "Exchange", "Journal", "JournalEntry", "Query", "RunInfo", "describe_event", "list_runs", "read_sqlite"]
