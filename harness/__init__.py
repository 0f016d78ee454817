"""Braze SDK emulator and QA test harness.

The names a user of the package imports, from one place: `from harness import Expect, EmulatorClient, OnScreen`.
They are imported on first use (PEP 562), so `import harness` stays cheap (the CLI, the pytest plugin's startup).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # the expect DSL and its one failure
    "ANONYMOUS": "harness.expect",
    "ANY": "harness.expect",
    "Expect": "harness.expect",
    "ExpectationFailed": "harness.expect",
    "JournalSource": "harness.expect",
    "MetricsExpectation": "harness.expect",
    "Source": "harness.expect",
    # the emulator's control API
    "EmulatorClient": "harness.client",
    "RemoteSource": "harness.client",
    # the app under test and its screen
    "AppAdapter": "harness.adapters",
    "IamView": "harness.screens",
    "MessagingScreen": "harness.screens",
    "OnScreen": "harness.screens",
    "ScreenTimeout": "harness.screens",
    # errors
    "HarnessConfigError": "harness.errors",
    "HarnessError": "harness.errors",
    # the wire protocol
    "DecodedRequest": "harness.protocol",
    "Endpoint": "harness.protocol",
    "Event": "harness.protocol",
    "Problem": "harness.protocol",
    "decode": "harness.protocol",
    "decode_response": "harness.protocol",
    # the journal
    "Journal": "harness.journal",
    "JournalEntry": "harness.journal",
    "Query": "harness.journal",
    # SDK authentication keys, HAR import
    "KeyPair": "harness.sdk_auth",
    "import_har": "harness.har",
    "load_har": "harness.har",
}

__all__ = [
    "ANONYMOUS",
    "ANY",
    "AppAdapter",
    "DecodedRequest",
    "EmulatorClient",
    "Endpoint",
    "Event",
    "Expect",
    "ExpectationFailed",
    "HarnessConfigError",
    "HarnessError",
    "IamView",
    "Journal",
    "JournalEntry",
    "JournalSource",
    "KeyPair",
    "MessagingScreen",
    "MetricsExpectation",
    "OnScreen",
    "Problem",
    "Query",
    "RemoteSource",
    "ScreenTimeout",
    "Source",
    "decode",
    "decode_response",
    "import_har",
    "load_har",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers and IDEs see
    from harness.adapters import AppAdapter
    from harness.client import EmulatorClient, RemoteSource
    from harness.errors import HarnessConfigError, HarnessError
    from harness.expect import ANONYMOUS, ANY, Expect, ExpectationFailed, JournalSource, MetricsExpectation, Source
    from harness.har import import_har, load_har
    from harness.journal import Journal, JournalEntry, Query
    from harness.protocol import DecodedRequest, Endpoint, Event, Problem, decode, decode_response
    from harness.screens import IamView, MessagingScreen, OnScreen, ScreenTimeout
    from harness.sdk_auth import KeyPair
