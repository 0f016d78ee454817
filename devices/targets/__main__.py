"""`python -m braze_harness.devices.targets [NAME] [--file braze-targets.yaml]`: list the targets, or show what one becomes.

    .venv/bin/python -m braze_harness.devices.targets                        # name, kind, platform, Appium server of every target
    .venv/bin/python -m braze_harness.devices.targets pixel7 --api-key K --endpoint http://127.0.0.1:9090
                                                               # its capabilities (credentials masked), reset and launch

A bad profile prints the same one-line error the pytest run would, and exits 2."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from braze_harness.devices.targets import DEFAULT_TARGETS_FILE, TargetError, known_targets, redact_capabilities, resolve_target
from braze_harness.devices.targets.redaction import shown_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m braze_harness.devices.targets", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="a target to show (default: list them all)")
    parser.add_argument("--file", default=None, help=f"targets file (default: ./{DEFAULT_TARGETS_FILE} if present)")
    parser.add_argument("--api-key", default="<api-key>", help="api key put in the launch arguments")
    parser.add_argument("--endpoint", default=None, help="Braze endpoint put in the launch arguments")
    parser.add_argument("--ca-pem", default=None, help="the run's CA (PEM) for the iOS simulator")
    args = parser.parse_args(argv)
    path = args.file or (DEFAULT_TARGETS_FILE if Path(DEFAULT_TARGETS_FILE).is_file() else None)
    try:
        if args.name is None:
            for name, target in known_targets(path).items():
                server = shown_url(target.appium_url) if target.appium_url else ("local Appium" if target.uses_appium else "-")
                print(f"{name:24} {target.kind:18} {target.platform:8} {server}")
            return 0
        target = resolve_target(args.name, path)
        url = shown_url(target.appium_url) if target.appium_url else None
        shown: dict[str, object] = {"target": target.describe(), "adapter": target.adapter, "appium_url": url}
        if target.uses_appium:
            caps = target.capabilities(
                api_key=args.api_key, endpoint=args.endpoint, ca_pem=Path(args.ca_pem) if args.ca_pem else None
            )
            shown["capabilities"] = redact_capabilities(caps)
            shown["reset_commands"] = target.reset_commands()
            shown["launch_command"] = target.launch_command(api_key=args.api_key, endpoint=args.endpoint)
        print(json.dumps(shown, indent=2, default=str))
        return 0
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
