"""`braze-harness`: run the emulator or the proxy, inspect a saved journal, import a HAR, pre-bundle a Web SDK."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import typing
from pathlib import Path
from typing import Any, BinaryIO

from braze_harness import balancer_command, import_command, setup_command
from braze_harness.errors import HarnessConfigError, HarnessError
from braze_harness.progress import Progress
from pydantic import SecretStr, ValidationError

TOKEN_ENV = "BRAZE_EMULATOR_TOKEN"  # the emulator's control token, read by the emulator and by its clients


def _emulator(args: argparse.Namespace) -> int:
    from braze_harness.emulator.fleet import PER_REPLICA
    from braze_harness.emulator.http.request_log import RequestLog
    from braze_harness.emulator.http.server import check_loopback, control_token_for, serve_forever
    from braze_harness.emulator.http.ui_path import ui_url
    from braze_harness.emulator.settings import EmulatorSettings, load_settings
    from braze_harness.journal.pg import redact

    flags = {name: getattr(args, name, None) for name in EmulatorSettings.model_fields}
    settings = load_settings(flags, config_file=args.config)
    check_loopback(settings.host, args.allow_remote)
    given = settings.control_token.get_secret_value() if settings.control_token is not None else None
    token, generated = control_token_for(settings.host, given)
    if generated:
        settings = settings.model_copy(update={"control_token": SecretStr(token)})

    def announce(port: int) -> None:  # once bound: `--port 0` prints the port it got
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        print(f"Braze emulator on http://{host}:{port} (SDK baseUrl; control API under /_emulator/). Ctrl-C stops it.")
        print(f"dashboard (live traffic, users, messaging, health; docs/dashboard.md): {ui_url(f'http://{host}:{port}')}")
        if generated:  # printed once, here: clients pass it as `Authorization: Bearer` or X-Emulator-Token
            print(f"control API token (every /_emulator/ call but /health needs it; docs/security.md): {token}")
        elif token:
            print(f"control API token: the one given (--control-token or ${TOKEN_ENV})")
        if settings.journal_db:
            print(f"journal copied to {settings.journal_db}")
        if settings.store:
            print(f"profiles, scopes, engagement and journal in {redact(settings.store)}, run {settings.store_run!r}")
            print(f"still per replica, not shared (docs/fleet.md): {PER_REPLICA}")
        if not args.quiet:
            print("request log (--quiet turns it off): time, method, path, status, scope, ms")
        sys.stdout.flush()

    serve_forever(
        settings, allow_remote=args.allow_remote, on_listening=announce, request_log=None if args.quiet else RequestLog()
    )
    return 0


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """A flag per emulator setting, made from the settings model: a new setting is a flag (and a variable, and a
    config file key) with no change here. Not given: None (the environment, config file or default decides)."""
    from braze_harness.emulator.settings import EmulatorSettings, env_name, flag_name

    for name, field in EmulatorSettings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if hasattr(default, "model_dump"):
            default = json.dumps(default.model_dump())
        elif isinstance(default, list):
            default = ",".join(default)
        help_text = f"{field.description} (default {default}; ${env_name(name)})"
        flags = [flag_name(name), *_FLAG_ALIASES.get(name, ())]
        kind = _flag_type(field.annotation)
        if kind is bool:
            parser.add_argument(*flags, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif kind is list:
            parser.add_argument(
                *flags, dest=name, action="append", default=None, metavar="VALUE", help=help_text + "; repeatable"
            )
        else:
            choices = typing.get_args(field.annotation) if typing.get_origin(field.annotation) is typing.Literal else ()
            metavar = "{" + ",".join(choices) + "}" if choices else {int: "INT", float: "FLOAT", Path: "PATH"}.get(kind, "VALUE")
            parser.add_argument(*flags, dest=name, type=kind, default=None, metavar=metavar, help=help_text)


_FLAG_ALIASES = {"header_timeout_s": ("--header-timeout",)}  # the flag's older name


def _flag_type(annotation: Any) -> Any:
    """The argparse type of a setting: bool and list get their own actions; a number or a path is converted (a bad
    one is argparse's one-line error); anything else goes to the model as text."""
    import types
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        return _flag_type(typing.get_args(annotation)[0])
    if annotation in (bool, int, float, Path):
        return annotation
    if typing.get_origin(annotation) is list:
        return list
    return str


def _journal(args: argparse.Namespace) -> int:
    from braze_harness.journal import Query, list_runs, read_sqlite

    if not Path(args.db).is_file():
        raise HarnessConfigError(
            f"no journal database at {args.db} "
            "(write one with `braze-harness emulator --journal-db FILE` or pytest --braze-journal-db FILE)"
        )
    if args.action == "runs":
        for run in list_runs(args.db):
            started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started_at)) if run.started_at else "-"
            print(f"{run.run}  {started}  {run.entries} entries" + (f"  ({run.label})" if run.label else ""))
        return 0
    filters = {
        k: v
        for k, v in {"scope": args.scope, "device_id": args.device_id, "user_id": args.user_id, "event_code": args.event}.items()
        if v
    }
    entries = read_sqlite(args.db, Query(**filters), run=args.run)
    if args.action == "serve":
        return _serve_journal(args, entries)
    out = args.file or args.out
    if args.har:
        from braze_harness.har_export import write_har

        if args.action != "export" or out == "-":
            raise HarnessConfigError("--har is for export to a file: braze-harness journal export --har run.db out.har")
        written = write_har(entries, out)
        print(f"exported {written} entries to {out} (HAR 1.2)", file=sys.stderr)
    elif args.action == "export":
        lines = b"".join(e.to_jsonl() + b"\n" for e in entries)
        if out == "-":
            sys.stdout.buffer.write(lines)
        else:
            Path(out).write_bytes(lines)
            print(f"exported {len(entries)} entries to {out}", file=sys.stderr)
    else:
        for e in entries:
            print(e.summary())
        print(f"{len(entries)} entries", file=sys.stderr)
    return 0


def _serve_journal(args: argparse.Namespace, entries: list[Any]) -> int:
    """A saved journal's run on an emulator of its own, for the dashboard: its entries first, with their numbers."""
    from braze_harness.emulator.http.server import serve_forever
    from braze_harness.emulator.http.ui_path import ui_url
    from braze_harness.emulator.settings import EmulatorSettings

    settings = EmulatorSettings(port=args.port)

    def announce(port: int) -> None:
        print(f"journal {args.db}: {len(entries)} entries, on an emulator at http://127.0.0.1:{port}. Ctrl-C stops it.")
        print(f"dashboard (live traffic, users, messaging, health; docs/dashboard.md): {ui_url(f'http://127.0.0.1:{port}')}")
        print("profiles are not saved in a journal: the Users page shows only what is sent to this emulator now")
        sys.stdout.flush()

    serve_forever(settings, on_listening=announce, restore=entries)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from braze_harness.dataplan import load_plan, plan_json_schema
    from braze_harness.dataplan.draft import draft_plan, plan_yaml
    from braze_harness.journal import read_sqlite

    if args.action == "schema":
        print(json.dumps(plan_json_schema(), indent=2))
        return 0
    if args.action == "check":
        if not args.file:
            raise HarnessConfigError("plan check needs the plan file: braze-harness plan check plan.yaml")
        plan = load_plan(args.file)
        print(f"{args.file}: ok ({len(plan.events)} events, {len(plan.attributes)} attributes planned)")
        return 0
    if not args.from_journal:
        raise HarnessConfigError("plan init needs --from-journal run.db (a journal written with --journal-db)")
    if not Path(args.from_journal).is_file():
        raise HarnessConfigError(f"no journal database at {args.from_journal}")
    text = plan_yaml(draft_plan(read_sqlite(args.from_journal, run=args.run)))
    out = _write_text(text, args.file, overwrite=args.force)
    if out is not None:
        print(f"drafted {out}: review every type and rule before using it", file=sys.stderr)
    return 0


def _write_text(text: str, where: str | None, *, overwrite: bool = True) -> Path | None:
    """`text` to stdout (`where` None or "-") or to the file `where` (its folder must exist); the file, if any."""
    if where in (None, "-"):
        sys.stdout.write(text)
        return None
    out = Path(where)
    if out.exists() and not overwrite:
        raise HarnessConfigError(f"{out} exists: pass --force to overwrite it")
    if not out.parent.is_dir():
        raise HarnessConfigError(f"no folder {out.parent} for {out}")
    out.write_text(text)
    return out


def _dictionary(args: argparse.Namespace) -> int:
    from braze_harness.dataplan import load_plan
    from braze_harness.dataplan.dictionary import build_dictionary, to_markdown
    from braze_harness.journal import read_sqlite

    if not Path(args.db).is_file():
        raise HarnessConfigError(f"no journal database at {args.db} (write one with --journal-db / --braze-journal-db)")
    plan = load_plan(args.plan) if args.plan else None
    book = build_dictionary(read_sqlite(args.db, run=args.run), plan)
    text = json.dumps(book.as_json(), indent=2) + "\n" if args.format == "json" else to_markdown(book, source=args.db)
    out = _write_text(text, args.out)
    if out is not None:
        print(f"wrote the data dictionary ({len(book.items)} names) to {out}", file=sys.stderr)
    return 0


def _drift(args: argparse.Namespace) -> int:
    from braze_harness.sdk_drift.run import run_flow
    from braze_harness.sdk_drift.shape import diff

    with Progress("drift") as progress:  # a step at a time: on a terminal one line redrawn, elsewhere a line each
        a, b = run_flow(args.version_a, log=progress.note), run_flow(args.version_b, log=progress.note)
    lines = diff(a.shape, b.shape, a.version, b.version)
    for result, other in ((a, b), (b, a)):
        for step, why in sorted(result.failed_steps.items()):
            if step not in other.failed_steps:
                lines.append(f"! step {step!r} failed on {result.version} only: {why}")
    print(f"Web SDK {a.version} ({a.requests} requests) -> {b.version} ({b.requests} requests), same scripted flow:")
    for line in lines or ["no difference in endpoints, headers, fields or event codes"]:
        print(f"  {line}")
    return 0


def _record_sdk(args: argparse.Namespace) -> int:
    from braze_harness.sdk_drift.record import record

    data = record(args.sdk_version, args.out, log=lambda m: print(m, file=sys.stderr, flush=True))
    failed = "".join(f"\n  ! step {s!r} failed: {why}" for s, why in data["failed_steps"].items())
    print(f"recorded Web SDK {data['version']}: {len(data['exchanges'])} requests -> {args.out}{failed}")
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from braze_harness.devices.web.sdk_bundle import ensure_bundle

    with Progress("bundle-sdk") as progress:
        path = ensure_bundle(args.sdk_version, log=progress.note)
    print(path)
    return 0


def _proxy(args: argparse.Namespace) -> int:
    from braze_harness.extras import require

    require("mitmproxy", "braze-harness proxy")  # one line naming the [proxy] extra when it is missing
    from braze_harness.emulator.http.server import check_loopback
    from braze_harness.proxy import ca

    if args.mode not in ("emulate", "observe"):
        raise HarnessConfigError(f"--mode must be emulate or observe, not {args.mode!r}")
    _check_proxy_mode(args.proxy_mode)
    check_loopback(args.host, args.allow_remote)
    if args.port:
        check_port_free(args.host, args.port, what="proxy")
    confdir = ca.check_confdir(args.confdir) if args.confdir else None
    if args.allow_hosts:
        from braze_harness.proxy.runner import addon_module

        try:
            addon_module().parse_hosts(args.allow_hosts)
        except ValueError as exc:
            raise HarnessConfigError(f"--allow-hosts: {exc}") from None

    from braze_harness.proxy.runner import InProcessProxy

    server = None
    if args.emulator_url:
        from braze_harness.client import EmulatorClient

        token = args.emulator_token or os.environ.get(TOKEN_ENV) or None
        client = EmulatorClient(args.emulator_url, token=token)
        try:
            client.health()  # one clear line now rather than 502s later
            if token:
                client.stats()  # the token checked now too (health is open)
        finally:
            client.close()
        control_url = args.emulator_url.rstrip("/")
        proxy = InProcessProxy(
            mode=args.mode, emulator_url=control_url, allow_hosts=args.allow_hosts,
            host=args.host, port=args.port, proxy_mode=args.proxy_mode, confdir=confdir, emulator_token=token,
        )  # fmt: skip
    else:
        from braze_harness.emulator.app import Emulator
        from braze_harness.emulator.http.server import EmulatorServer
        from braze_harness.emulator.settings import EmulatorSettings

        try:
            settings = EmulatorSettings(port=args.emulator_port, journal_db=args.journal_db)
        except ValidationError as exc:
            flag = {"port": "--emulator-port", "journal_db": "--journal-db"}.get(str(exc.errors()[0]["loc"][0]), "")
            raise HarnessConfigError(f"{flag}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
        emulator = Emulator(settings)
        # the proxy answers (emulate) or journals (observe) in process; the same emulator serves the control API
        server = EmulatorServer(emulator=emulator).start()
        control_url = server.url
        proxy = InProcessProxy(
            mode=args.mode, emulator=emulator, allow_hosts=args.allow_hosts,
            host=args.host, port=args.port, proxy_mode=args.proxy_mode, confdir=confdir,
        )  # fmt: skip
    stop = threading.Event()
    try:
        proxy.start()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        print(_proxy_banner(args, proxy, control_url, temporary=confdir is None), flush=True)
        stop.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    finally:
        proxy.stop()
        if server is not None:
            server.stop()
    counts = proxy.addon.counts
    done = ", ".join(f"{counts[k]} {k}" for k in ("emulated", "forwarded", "observed", "passthrough", "refused") if counts[k])
    print(f"braze-harness proxy: stopped ({done or 'no traffic'})", flush=True)
    return 0


def _check_proxy_mode(spec: str) -> None:
    from braze_harness.extras import require

    ProxyMode = require("mitmproxy.proxy.mode_specs", "braze-harness proxy").ProxyMode

    try:
        ProxyMode.parse(spec)
    except ValueError as exc:
        raise HarnessConfigError(f"--proxy-mode {spec!r}: {exc}") from None


def _proxy_banner(args: argparse.Namespace, proxy: object, control_url: str, *, temporary: bool) -> str:
    from braze_harness.proxy import ca

    cert = proxy.ca_cert  # type: ignore[attr-defined]
    url = proxy.url  # type: ignore[attr-defined]
    what = {
        "emulate": "Braze SDK requests answered by the emulator; every other host refused",
        "observe": "traffic passes through; Braze SDK exchanges journaled",
    }[args.mode]
    lifetime = "this run only, deleted on exit" if temporary else "kept"
    lines = [
        f"Braze proxy ({args.mode}, mitmproxy {args.proxy_mode}) on {url}: {what}.",
        f"Emulator (journal, profiles, control API /_emulator/...): {control_url}",
        f"CA certificate: {cert} ({lifetime})",
        f"  Chromium: --proxy-server={url} --ignore-certificate-errors-spki-list={ca.spki_hash(cert)}",
        f"  NSS db (Chromium/Firefox on Linux): {ca.certutil_command(cert)}",
        "  Android 7+/14, iOS simulators and devices: docs/proxy-and-har.md#trusting-the-proxys-ca",
        "Ctrl-C stops it.",
    ]
    return "\n".join(lines)


def _import_har(args: argparse.Namespace) -> int:
    """Exit 0 when the file was read (entries of a wrong shape skipped and counted on stderr), 2 with one line on
    stderr when it cannot be (missing, corrupt/truncated gzip, not JSON, not a HAR) or `--jsonl` cannot be written,
    1 when `--into` fails."""
    from braze_harness.emulator.app import Emulator
    from braze_harness.har import import_exchanges, read_har, summary_counts

    har = read_har(args.file)
    jsonl = _open_export(args.jsonl) if args.jsonl else None
    # the export is written entry by entry as imported: the journal's cap (oldest entries dropped) does not limit it
    emulator = Emulator()
    braze = [ex for ex in har.exchanges if ex.is_braze]

    def line(done: int, total: int | None) -> str:
        return f"import-har: {done} of {total} Braze requests imported"

    progress = Progress("import-har", len(braze), every=PROGRESS_EVERY, line=line)

    def each(entry: Any) -> None:
        print(entry.summary())
        if jsonl is not None:
            jsonl.write(entry.to_jsonl() + b"\n")
        progress.advance()

    try:
        with progress:
            entries = import_exchanges(braze, emulator, each=each)
    finally:
        if jsonl is not None:
            jsonl.close()
    counts = summary_counts(entries)
    print(
        f"{counts['requests']} Braze request(s) of {har.total} HAR entries: {counts['events']} event(s), "
        f"{counts['bad']} bad, {counts['drift']} with protocol drift"
    )
    if har.skipped:
        print(
            f"import-har: skipped {len(har.skipped)} malformed entr{'y' if len(har.skipped) == 1 else 'ies'}: "
            + "; ".join(har.skipped[:3])
            + (f"; ... ({len(har.skipped) - 3} more)" if len(har.skipped) > 3 else ""),
            file=sys.stderr,
        )
    if args.jsonl:
        print(f"exported {len(entries)} entries to {args.jsonl}", file=sys.stderr)
    if args.into:
        from braze_harness.client import EmulatorClient
        from braze_harness.protocol.ingest_payload import payload

        client = EmulatorClient(args.into)
        items: list[dict] = []
        try:
            for ex in braze:
                item = payload(ex.method, ex.url, ex.headers, ex.body, ex.status, ex.response, source="har")
                if ex.started is not None:
                    item["received_at"] = ex.started
                items.append(item)
            for start in range(0, len(items), 500):  # batches: one call per exchange was slow on big HARs
                for result in client.ingest_many(items[start : start + 500]):
                    if "error" in result:
                        print(f"import-har: {result['error']}", file=sys.stderr)
        finally:
            client.close()
        print(f"posted {counts['requests']} entries to {args.into}", file=sys.stderr)
    return 0


PROGRESS_EVERY = 5_000  # import-har: off a terminal, a progress line on stderr every so many Braze requests


def _open_export(path: str) -> BinaryIO:
    """The `--jsonl` file, opened before anything is imported, so a bad path fails at once (its folder is not
    created: a typo should not make a new directory)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise HarnessConfigError(f"cannot write --jsonl {path}: no folder {target.parent}")
    try:
        return target.open("wb")
    except OSError as exc:
        raise HarnessConfigError(f"cannot write --jsonl {path}: {exc.strerror}") from None


def check_port_free(host: str, port: int, what: str = "emulator") -> None:
    """Fail with one line before announcing anything, rather than uvicorn's own error after the banner."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise HarnessConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another {what} running? try --port)"
            ) from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def port_number(text: str) -> int:
    """An argparse type: a TCP port (0: any free one)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return int(text)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2), like every other user error of the CLI."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"braze-harness: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from braze_harness.emulator.http.asgi import package_version

    parser = OneLineParser(prog="braze-harness", description="Braze SDK emulator and QA test harness")
    parser.add_argument("--version", action="version", version=f"braze-harness {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    emu = sub.add_parser(
        "emulator",
        aliases=["serve"],
        help="run the Braze backend emulator in the foreground",
        description="Every setting is a flag, a BRAZE_<NAME> environment variable and a config file key; a flag wins "
        "over the environment, which wins over --config, then [tool.braze-harness] of ./pyproject.toml "
        "(docs/configuration.md).",
    )
    emu.add_argument("--config", type=Path, metavar="FILE", help="a TOML file of settings (docs/configuration.md)")
    emu.add_argument("--quiet", action="store_true", help="no request log on the terminal")
    emu.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (the control API then needs a token)"
    )
    _add_setting_flags(emu)
    emu.set_defaults(func=_emulator)

    jr = sub.add_parser("journal", help="inspect, export or serve (to the dashboard) a journal saved with --journal-db")
    jr.add_argument(
        "action",
        choices=["show", "export", "runs", "serve"],
        help="runs: the runs the file holds (one per emulator); serve: one run on an emulator, for its dashboard",
    )
    jr.add_argument("db")
    jr.add_argument("file", nargs="?", help="export: the output file (as --out)")
    jr.add_argument("--run", help="which run of the file (default: the newest; see `runs`)")
    jr.add_argument("--out", default="-", help="JSONL output file for export (default stdout)")
    jr.add_argument("--har", action="store_true", help="export as a HAR 1.2 file (import-har reads it back)")
    jr.add_argument("--scope")
    jr.add_argument("--device-id")
    jr.add_argument("--user-id")
    jr.add_argument("--event", help="event code, e.g. ce")
    jr.add_argument("--port", type=int, default=9091, help="serve: the port (default 9091; 0: any free one)")
    jr.set_defaults(func=_journal)

    pl = sub.add_parser("plan", help="the data plan: check a plan file, print its JSON Schema, draft one from a journal")
    pl.add_argument("action", choices=["check", "schema", "init"])
    pl.add_argument("file", nargs="?", help="check: the plan file; init: where to write the draft (default stdout)")
    pl.add_argument("--from-journal", metavar="DB", help="init: the journal (--journal-db) whose traffic the draft describes")
    pl.add_argument("--run", help="init: which run of the journal (default: the newest)")
    pl.add_argument("--force", action="store_true", help="init: overwrite an existing file")
    pl.set_defaults(func=_plan)

    dc = sub.add_parser("dictionary", help="the data dictionary: every custom event, property, attribute and purchase sent")
    dc.add_argument("db", help="a journal written with --journal-db / --braze-journal-db")
    dc.add_argument("--format", choices=["md", "json"], default="md")
    dc.add_argument("--plan", help="a data plan to set the dictionary against (planned, unplanned, never seen)")
    dc.add_argument("--run", help="which run of the journal (default: the newest)")
    dc.add_argument("--out", default="-", help="output file (default stdout)")
    dc.set_defaults(func=_dictionary)

    dr = sub.add_parser("drift", help="what changed on the wire between two Web SDK versions (same scripted flow on both)")
    dr.add_argument("version_a", help="e.g. 5.9.1 (any published @braze/web-sdk version)")
    dr.add_argument("version_b", help="e.g. 6.13.0")
    dr.set_defaults(func=_drift)

    rs = sub.add_parser("record-sdk", help="record the drift flow's raw traffic on one Web SDK version (a replayable JSON file)")
    rs.add_argument("sdk_version", help="e.g. 5.9.1 (any published @braze/web-sdk version)")
    rs.add_argument("--out", type=Path, required=True, help="the recording to write, e.g. tests/data/recordings/web-5.9.1.json")
    rs.set_defaults(func=_record_sdk)

    px = sub.add_parser("proxy", help="run mitmproxy with the Braze addon (emulate or observe)")
    px.add_argument("--mode", default="emulate", help="emulate (default): answer Braze from the emulator; observe: pass through")
    px.add_argument("--host", default="127.0.0.1")
    px.add_argument("--port", type=port_number, default=8080)
    px.add_argument("--emulator-url", help="a running emulator (default: one is started with the proxy)")
    px.add_argument(
        "--emulator-port", type=port_number, default=0, help="port of the emulator started with the proxy (default any)"
    )
    px.add_argument("--journal-db", type=Path, help="the started emulator also writes its journal to this SQLite file")
    px.add_argument("--allow-hosts", default="", help="emulate: comma-separated hosts let through (loopback always is)")
    px.add_argument(
        "--proxy-mode",
        default="regular",
        help="mitmproxy mode: regular (devices, browsers), or reverse:https://sdk.iad-01.braze.com "
        "(builds whose endpoint you set)",
    )
    px.add_argument("--confdir", type=Path, help="keep the CA in this directory (outside the repo); default: a new one per run")
    px.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (devices on the LAN); the proxy then refuses to reach this machine's own addresses",
    )
    px.add_argument("--emulator-token", help=f"the control token of --emulator-url's emulator (default ${TOKEN_ENV})")
    px.set_defaults(func=_proxy)

    har = sub.add_parser("import-har", help="decode the Braze requests of a HAR (browser, BrowserStack, Sauce Labs)")
    har.add_argument("file")
    har.add_argument("--into", metavar="URL", help="also journal them in a running emulator (POST /_emulator/ingest)")
    har.add_argument("--jsonl", metavar="OUT", help="export the decoded entries as JSONL")
    har.set_defaults(func=_import_har)

    bundle = sub.add_parser("bundle-sdk", help="install and bundle a @braze/web-sdk version into the cache")
    bundle.add_argument("sdk_version", nargs="?", default="6.13.0")
    bundle.set_defaults(func=_bundle)

    import_command.add_parser(sub)  # import-users: the CSV user import (harness/import_command.py)
    sub.choices["import-users"].set_defaults(func=import_command.run)
    setup_command.add_parser(sub)  # setup: the npm tooling of an installed package (harness/setup_command.py)
    balancer_command.add_parser(sub)  # balancer: HAProxy in front of a fleet (harness/balancer_command.py)
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
