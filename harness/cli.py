"""`braze-harness`: run the emulator, inspect a saved journal, pre-bundle a Web SDK version."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from pydantic import ValidationError

from harness.errors import HarnessConfigError, HarnessError


def _emulator(args: argparse.Namespace) -> int:
    from harness.emulator.server import check_loopback, serve_forever
    from harness.emulator.settings import EmulatorSettings

    try:
        settings = EmulatorSettings(
            host=args.host,
            port=args.port,
            unknown_api_keys=args.unknown_api_keys,
            journal_db=args.journal_db,
            journal_cap=args.journal_cap,
            max_body_bytes=args.max_body_bytes,
        )
    except ValidationError as exc:
        raise HarnessConfigError(_first_error(exc)) from None
    check_loopback(args.host, args.allow_remote)
    check_port_free(args.host, args.port)
    print(
        f"Braze emulator on http://{args.host}:{args.port} (SDK baseUrl; control API under /_emulator/). Ctrl-C stops it.",
        flush=True,
    )
    if args.journal_db:
        print(f"journal copied to {args.journal_db}", flush=True)
    serve_forever(settings, allow_remote=args.allow_remote)
    return 0


def _journal(args: argparse.Namespace) -> int:
    from harness.journal import Query, read_sqlite

    if not Path(args.db).is_file():
        raise HarnessConfigError(
            f"no journal database at {args.db} "
            "(write one with `braze-harness emulator --journal-db FILE` or pytest --braze-journal-db FILE)"
        )
    filters = {
        k: v
        for k, v in {"scope": args.scope, "device_id": args.device_id, "user_id": args.user_id, "event_code": args.event}.items()
        if v
    }
    entries = read_sqlite(args.db, Query(**filters))
    if args.action == "export":
        lines = b"".join(e.to_jsonl() + b"\n" for e in entries)
        if args.out == "-":
            sys.stdout.buffer.write(lines)
        else:
            Path(args.out).write_bytes(lines)
            print(f"exported {len(entries)} entries to {args.out}", file=sys.stderr)
    else:
        for e in entries:
            print(e.summary())
        print(f"{len(entries)} entries", file=sys.stderr)
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from harness.web_sdk import ensure_bundle

    path = ensure_bundle(args.sdk_version, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(path)
    return 0


def check_port_free(host: str, port: int) -> None:
    """Fail with one line before announcing anything, rather than uvicorn's own error after the banner."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise HarnessConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another emulator running? try --port)"
            ) from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="braze-harness", description="Braze SDK emulator and QA test harness")
    sub = parser.add_subparsers(dest="command", required=True)

    emu = sub.add_parser("emulator", help="run the Braze backend emulator in the foreground")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=9090)
    emu.add_argument("--unknown-api-keys", choices=["auto_create", "reject"], default="auto_create")
    emu.add_argument("--journal-db", type=Path, help="also write the journal to this SQLite file")
    emu.add_argument("--journal-cap", type=int, default=20_000, help="entries kept (oldest dropped and counted)")
    emu.add_argument("--max-body-bytes", type=int, default=2 * 1024 * 1024)
    emu.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    emu.set_defaults(func=_emulator)

    jr = sub.add_parser("journal", help="inspect or export a journal saved with --journal-db")
    jr.add_argument("action", choices=["show", "export"])
    jr.add_argument("db")
    jr.add_argument("--out", default="-", help="JSONL output file for export (default stdout)")
    jr.add_argument("--scope")
    jr.add_argument("--device-id")
    jr.add_argument("--user-id")
    jr.add_argument("--event", help="event code, e.g. ce")
    jr.set_defaults(func=_journal)

    bundle = sub.add_parser("bundle-sdk", help="install and bundle a @braze/web-sdk version into the cache")
    bundle.add_argument("sdk_version", nargs="?", default="6.13.0")
    bundle.set_defaults(func=_bundle)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HarnessConfigError as exc:
        print(f"braze-harness: error: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"braze-harness: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
