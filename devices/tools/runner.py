"""Run one built command: a timeout, and one clear error naming the command, its exit status and its stderr."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence

from braze_harness.errors import HarnessConfigError

_INSTALL_HINTS = {
    "adb": "install Android SDK platform-tools (sdkmanager 'platform-tools', or apt-get install adb) and put adb on PATH",
    "xcrun": "xcrun comes with Xcode on macOS (xcode-select --install); iOS simulators need macOS",
    "emulator": "install the Android emulator (sdkmanager 'emulator') and put $ANDROID_HOME/emulator on PATH",
}


class ToolError(HarnessConfigError):
    """A device tool is missing, failed or timed out."""


def run(argv: Sequence[str], *, timeout: float = 60.0, input: str | None = None) -> str:
    """Runs `argv`; returns its stdout. Raises ToolError (missing tool, non-zero exit with stderr, timeout)."""
    if not argv:
        raise ValueError("empty command")
    exe = argv[0]
    if shutil.which(exe) is None:
        hint = _INSTALL_HINTS.get(exe.rsplit("/", 1)[-1], "install it and put it on PATH")
        raise ToolError(f"{exe}: not found on PATH ({hint})")
    command = shlex.join(argv)
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, input=input, check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{command}: timed out after {timeout:g} s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or "no output"
        raise ToolError(f"{command}: exit {done.returncode}: {detail}")
    return done.stdout
