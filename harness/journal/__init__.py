"""One journal of decoded SDK traffic, shared by every source (emulator, proxy, HAR, devices)."""

from braze_harness.journal.entry import Exchange, JournalEntry, describe_event
from braze_harness.journal.query import Query
from braze_harness.journal.sqlite import RunInfo, list_runs, read_sqlite
from braze_harness.journal.store import DEFAULT_CAP, Journal

__all__ = ["DEFAULT_CAP", "Exchange", "Journal", "JournalEntry", "Query", "RunInfo", "describe_event", "list_runs", "read_sqlite"]
