"""`--journal-db` files hold api keys, user ids and message bodies: they are created owner-only (0600), their
WAL side files too, and a file that already existed with a wider mode is narrowed."""

from __future__ import annotations

import os
import stat

from braze_harness.journal import Journal

from tests.support.builders import append, ce, data_body


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_journal_file_and_its_wal_files_are_owner_only(tmp_path) -> None:
    old = os.umask(0o022)  # the usual umask, which gave 0644 before
    try:
        db = tmp_path / "journal.db"
        journal = Journal(sqlite_path=db)
        append(journal, data_body(device_id="d1", events=[ce("e")]))
        sidecars = [tmp_path / f"journal.db{side}" for side in ("-wal", "-shm")]
        assert any(p.exists() for p in sidecars), "WAL mode should have made side files while the journal is open"
        assert _mode(db) == 0o600
        for p in sidecars:
            if p.exists():
                assert _mode(p) == 0o600, p.name
        journal.close()
    finally:
        os.umask(old)


def test_an_existing_world_readable_file_is_narrowed(tmp_path) -> None:
    db = tmp_path / "journal.db"
    db.touch()
    os.chmod(db, 0o644)
    Journal(sqlite_path=db).close()
    assert _mode(db) == 0o600
