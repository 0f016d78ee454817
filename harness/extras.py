"""The optional dependencies (the package's extras), imported on first use.

    mitmproxy = require("mitmproxy", "braze-harness proxy")   # the module, or one line naming the extra:
    # MissingExtraError: braze-harness proxy needs the 'proxy' extra: pip install 'braze-harness[proxy]'

Only what a feature needs is imported when it is used, so a core install (`pip install braze-harness`) runs
everything else; the extras are declared in pyproject.toml ([project.optional-dependencies]).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from braze_harness.errors import HarnessConfigError

# top-level module -> the extra that installs it
EXTRAS: dict[str, str] = {
    "mitmproxy": "proxy",
    "appium": "appium",
    "allure": "allure",
    "psycopg": "postgres",
    "psycopg_pool": "postgres",
}


class MissingExtraError(HarnessConfigError):
    """A feature was used whose optional dependency is not installed."""


def message(feature: str, extra: str) -> str:
    return f"{feature} needs the '{extra}' extra: pip install 'braze-harness[{extra}]'"


def require(module: str, feature: str) -> ModuleType:
    """Import `module` (one of EXTRAS or a submodule of one) or raise `MissingExtraError` naming its extra."""
    top = module.partition(".")[0]
    extra = EXTRAS[top]  # a KeyError here is a harness bug: every optional import is listed above
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing and missing != top:
            # the extra is installed but one of ITS dependencies is broken: not a missing extra, keep the real error
            raise
        raise MissingExtraError(message(feature, extra)) from None
