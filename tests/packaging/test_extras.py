"""A feature whose extra is not installed says so in one line naming the extra (harness/extras.py).

Each case runs in a fresh Python where the optional package is made unimportable (`sys.modules[name] = None`, what
Python does for a module that is not installed: ModuleNotFoundError), so the rest of this test run keeps it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NEEDS_PROXY = "needs the 'proxy' extra: pip install 'braze-harness[proxy]'"


def blocked(module: str, code: str, *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    script = f"import sys\nsys.modules[{module!r}] = None\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_cli_proxy_without_the_proxy_extra() -> None:
    proc = blocked("mitmproxy", "from braze_harness.cli import main\nsys.exit(main(['proxy']))")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"braze-harness: error: braze-harness proxy {NEEDS_PROXY}\n"


def test_pytest_braze_proxy_without_the_proxy_extra(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    code = "import pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '--braze-proxy']))"
    proc = blocked("mitmproxy", code, cwd=tmp_path)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors == [f"ERROR: --braze-proxy {NEEDS_PROXY}"]


def test_pytest_appium_target_without_the_appium_extra(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    code = "import pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '--braze-target', 'fake']))"
    proc = blocked("appium", code, cwd=tmp_path)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors == ["ERROR: --braze-target fake needs the 'appium' extra: pip install 'braze-harness[appium]'"]


def test_proxy_addon_without_the_proxy_extra() -> None:
    proc = blocked(
        "mitmproxy",
        """
        from braze_harness.extras import MissingExtraError
        try:
            import braze_harness.proxy_addons.braze_capture
        except MissingExtraError as exc:
            print(exc)
        """,
    )
    assert proc.stdout == f"the Braze mitmproxy addon {NEEDS_PROXY}\n", proc.stderr


def test_appium_targets_without_the_appium_extra() -> None:
    """The Appium package imports without the client (it is imported lazily); opening a session names the extra."""
    proc = blocked(
        "appium",
        """
        from braze_harness.devices.appium import AppiumAdapter  # the adapter module itself needs no client
        from braze_harness.devices.appium.driver import open_session
        from braze_harness.devices.appium.server import AppiumEndpoint
        from braze_harness.extras import MissingExtraError
        try:
            open_session(AppiumEndpoint("http://127.0.0.1:9"), {"platformName": "Fake"}, "Fake")
        except MissingExtraError as exc:
            print(exc)
        """,
    )
    assert proc.stdout == "an Appium target needs the 'appium' extra: pip install 'braze-harness[appium]'\n", proc.stderr


def test_a_broken_dependency_of_an_installed_extra_is_not_hidden() -> None:
    """Appium's client installed but selenium (its dependency) broken: the real ImportError, not 'install the extra'."""
    proc = blocked(
        "selenium",
        """
        from braze_harness.extras import MissingExtraError, require
        try:
            require("appium.webdriver", "an Appium target")
        except MissingExtraError:
            print("missing extra")
        except ImportError as exc:
            print("ImportError", exc.name)
        """,
    )
    assert proc.stdout.startswith("ImportError selenium"), proc.stdout + proc.stderr


def test_require_returns_the_module_when_installed() -> None:
    from braze_harness.extras import require

    assert require("mitmproxy.http", "x").__name__ == "mitmproxy.http"
