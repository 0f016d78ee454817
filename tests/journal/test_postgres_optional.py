"""psycopg is optional: the in-memory default never imports it, and the PostgreSQL stores without it name the extra."""

import subprocess
import sys

DEFAULT_PATHS = """
import sys
import braze_harness.cli, braze_harness.plugin, braze_harness.emulator.app, braze_harness.emulator.stores
from braze_harness.emulator.http.server import EmulatorServer
# importing the PostgreSQL stores needs no psycopg either
import braze_harness.journal.postgres, braze_harness.emulator.tenancy_pg, braze_harness.emulator.state.engagement_pg
with EmulatorServer() as server:
    pass
loaded = sorted(m for m in sys.modules if m.partition(".")[0] in ("psycopg", "psycopg_pool"))
assert loaded == [], loaded
"""

WITHOUT_PSYCOPG = """
import sys
sys.modules["psycopg"] = None  # as if the 'postgres' extra were not installed
from braze_harness.extras import MissingExtraError
from braze_harness.journal.postgres import PostgresJournal
try:
    PostgresJournal("postgresql://127.0.0.1/braze")
except MissingExtraError as exc:
    print(exc)
"""


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_the_in_memory_default_never_imports_psycopg():
    run(DEFAULT_PATHS)


def test_without_psycopg_the_store_names_the_extra():
    assert run(WITHOUT_PSYCOPG) == "the PostgreSQL store needs the 'postgres' extra: pip install 'braze-harness[postgres]'"
