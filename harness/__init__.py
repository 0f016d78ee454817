"""Braze SDK emulator and QA test harness.

The names a user of the package imports, from one place: `from braze_harness import Expect, EmulatorClient, OnScreen`.
They are imported on first use (PEP 562), so `import braze_harness` stays cheap (the CLI, the pytest plugin's startup).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # the expect DSL and its one failure
    "ANONYMOUS": "braze_harness.expect",
    "ANY": "braze_harness.expect",
    "Expect": "braze_harness.expect",
    "ExpectationFailed": "braze_harness.expect",
    "JournalSource": "braze_harness.expect",
    "MetricsExpectation": "braze_harness.expect",
    "Source": "braze_harness.expect",
    # loosening the DSL's type-strict comparison, and the workspace warning
    "BrazeWorkspaceWarning": "braze_harness.expect",
    "Matcher": "braze_harness.expect",
    "approx": "braze_harness.expect",
    "matcher": "braze_harness.expect",
    "numeric": "braze_harness.expect",
    # the emulator's control API
    "EmulatorClient": "braze_harness.client",
    "RemoteSource": "braze_harness.client",
    # Braze's REST API, typed (the emulator's or a real workspace's)
    "BrazeApiError": "braze_harness.rest_client",
    "BrazeRestClient": "braze_harness.rest_client",
    "Recipient": "braze_harness.rest_client",
    # the app under test and its screen
    "AdapterLimitation": "braze_harness.adapters",
    "AppAdapter": "braze_harness.adapters",
    "IamView": "braze_harness.screens",
    "MessagingScreen": "braze_harness.screens",
    "OnScreen": "braze_harness.screens",
    "ScreenTimeout": "braze_harness.screens",
    # errors
    "HarnessConfigError": "braze_harness.errors",
    "HarnessError": "braze_harness.errors",
    # the wire protocol
    "DecodedRequest": "braze_harness.protocol",
    "Endpoint": "braze_harness.protocol",
    "Event": "braze_harness.protocol",
    "Problem": "braze_harness.protocol",
    "decode": "braze_harness.protocol",
    "decode_response": "braze_harness.protocol",
    # the journal
    "Journal": "braze_harness.journal",
    "JournalEntry": "braze_harness.journal",
    "Query": "braze_harness.journal",
    # SDK authentication keys, HAR import
    "KeyPair": "braze_harness.sdk_auth",
    "import_har": "braze_harness.har",
    "load_har": "braze_harness.har",
}

__all__ = [
    "ANONYMOUS",
    "ANY",
    "AdapterLimitation",
    "AppAdapter",
    "BrazeApiError",
    "BrazeRestClient",
    "BrazeWorkspaceWarning",
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
    "Matcher",
    "MessagingScreen",
    "MetricsExpectation",
    "OnScreen",
    "Problem",
    "Query",
    "Recipient",
    "RemoteSource",
    "ScreenTimeout",
    "Source",
    "approx",
    "decode",
    "decode_response",
    "import_har",
    "load_har",
    "matcher",
    "numeric",
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
    from braze_harness.adapters import AppAdapter
    from braze_harness.client import EmulatorClient, RemoteSource
    from braze_harness.errors import HarnessConfigError, HarnessError
    from braze_harness.expect import (
        ANONYMOUS,
        ANY,
        BrazeWorkspaceWarning,
        Expect,
        ExpectationFailed,
        JournalSource,
        Matcher,
        MetricsExpectation,
        Source,
        approx,
        matcher,
        numeric,
    )
    from braze_harness.har import import_har, load_har
    from braze_harness.journal import Journal, JournalEntry, Query
    from braze_harness.protocol import DecodedRequest, Endpoint, Event, Problem, decode, decode_response
    from braze_harness.rest_client import BrazeApiError, BrazeRestClient, Recipient
    from braze_harness.screens import IamView, MessagingScreen, OnScreen, ScreenTimeout
    from braze_harness.sdk_auth import KeyPair
