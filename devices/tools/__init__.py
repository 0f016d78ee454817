"""Command builders for device tooling: `adb` (Android emulators and phones) and `xcrun simctl` (iOS simulators).

Every helper returns the exact argv it would run (tested as data); `run(argv)` executes one with a timeout and a
clear error when the tool is missing or the command fails (its stderr shown)."""

from braze_harness.devices.tools.runner import ToolError, run

__all__ = ["ToolError", "run"]
