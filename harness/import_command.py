"""`braze-harness import-users FILE`: the dashboard's CSV user import against a running emulator
(docs/csv-import.md). The file is streamed to `POST /_emulator/apps/{api_key}/users/import` in chunks, with a
progress line on stderr; the report's failed rows are printed (all of them to `--errors FILE` as CSV)."""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from braze_harness.errors import HarnessConfigError
from braze_harness.progress import Progress

CHUNK_BYTES = 256 * 1024
SHOWN_ISSUES = 20  # on the terminal; --errors gets every listed one
URL_ENV = "BRAZE_EMULATOR_URL"


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("import-users", help="import users from a CSV file (Braze's format) into a running emulator")
    cmd.add_argument("file", help="the CSV file (UTF-8; header row first)")
    cmd.add_argument("--api-key", required=True, help="an app api key of the workspace to import into")
    cmd.add_argument("--emulator", default=None, help=f"the emulator's URL (default ${URL_ENV}, else http://127.0.0.1:9090)")
    cmd.add_argument("--events", action="store_true", help="the file holds custom events (name, time, <event>.properties.<p>)")
    cmd.add_argument("--update-existing-only", action="store_true", help="rows naming no existing user are errors")
    cmd.add_argument("--errors", default=None, metavar="FILE", help="write the failed rows' report as CSV")


def run(args: argparse.Namespace) -> int:
    """0: every row imported; 1: some rows failed (listed); 2: the file or the call could not be made (one line)."""
    from braze_harness.client import EmulatorClient

    path = Path(args.file)
    if not path.is_file():
        raise HarnessConfigError(f"import-users: no such file: {path}")
    url = args.emulator or os.environ.get(URL_ENV) or "http://127.0.0.1:9090"
    client = EmulatorClient(url)
    try:
        kind = "events" if args.events else "attributes"
        chunks = _chunks(path, path.stat().st_size)
        report = client.import_users(args.api_key, chunks, kind=kind, update_existing_only=args.update_existing_only)
    finally:
        client.close()
    _print_report(report, path)
    if args.errors:
        _write_errors(Path(args.errors), report["issues"])
    return 1 if report["skipped"] else 0


def _chunks(path: Path, size: int) -> Iterator[bytes]:
    """The file in chunks, with progress on stderr (a bar on a terminal, else a line about once a second); the server
    applies as it reads."""
    started = time.monotonic()

    def line(sent: int, total: int | None) -> str:
        return (
            f"import-users: {sent * 100 // size}% ({sent // 1024} of {size // 1024} KiB) after {time.monotonic() - started:.0f} s"
        )

    with path.open("rb") as f, Progress("import-users", size if size > CHUNK_BYTES else None, every_s=1.0, line=line) as progress:
        while chunk := f.read(CHUNK_BYTES):
            if size > CHUNK_BYTES:
                progress.advance(len(chunk))
            yield chunk


def _print_report(report: dict[str, Any], path: Path) -> None:
    print(
        f"{path.name}: {report['rows']} row(s), {report['imported']} imported, {report['skipped']} skipped, "
        f"{report['warnings']} with dropped values"
        + (f", {report['duplicates']} naming a user an earlier row named" if report["duplicates"] else "")
        + (f", {report['blank_lines']} blank line(s)" if report["blank_lines"] else "")
    )
    if report["not_applied_columns"]:
        columns = ", ".join(report["not_applied_columns"])
        print(f"not imported by the emulator (Braze default attributes it does not keep): {columns}")
    for issue in report["issues"][:SHOWN_ISSUES]:
        where = f" [{issue['column']}]" if issue["column"] else ""
        print(f"  row {issue['row']}{where}: {issue['severity']}: {issue['message']}")
    more = report["issues_total"] - min(len(report["issues"]), SHOWN_ISSUES)
    if more > 0:
        print(f"  ... {more} more (--errors FILE writes the report)")


def _write_errors(path: Path, issues: list[dict[str, Any]]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["row", "severity", "column", "message"])
            writer.writeheader()
            writer.writerows(issues)
    except OSError as exc:
        raise HarnessConfigError(f"import-users: cannot write {path}: {exc.strerror}") from None
