"""`braze-harness balancer REPLICA...`: HAProxy in front of a fleet's replicas (docs/fleet.md), in the foreground until
Ctrl-C; `--print-config` prints its configuration instead, for a HAProxy of your own."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from braze_harness.emulator.balancer import Balancer, Replica, check_addresses, haproxy_config


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("balancer", help="HAProxy in front of a fleet's replicas (round robin, health checks, retries)")
    cmd.add_argument("replicas", nargs="+", metavar="REPLICA", help="a replica's HOST:PORT, e.g. 127.0.0.1:9090")
    cmd.add_argument("--host", default="127.0.0.1", help="the address the balancer listens on (default 127.0.0.1)")
    cmd.add_argument("--port", type=_port, default=9000, help="its port (default 9000; 0: any free one)")
    cmd.add_argument("--print-config", action="store_true", help="print the HAProxy configuration and exit")
    cmd.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host or replica")
    cmd.set_defaults(func=run)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r} (0-65535)")
    return int(text)


def run(args: argparse.Namespace) -> int:
    replicas = [Replica.parse(text) for text in args.replicas]
    check_addresses(replicas, args.host, args.allow_remote)
    if args.print_config:
        print(haproxy_config(replicas, host=args.host, port=args.port or 9000), end="")
        return 0
    balancer = Balancer.start(replicas, host=args.host, port=args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"balancer on {balancer.url} -> {', '.join(r.address for r in replicas)} (HAProxy; Ctrl-C stops it)", flush=True)
    try:
        code = balancer.proc.wait()
        print(f"braze-harness: haproxy exited with {code}: {balancer.log().strip()[-400:]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        balancer.stop()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
