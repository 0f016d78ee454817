"""What the sub-handles (`braze.messaging`, `braze.push`) use of the test's scope, so they need not know the handle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from braze_harness.client import EmulatorClient
from braze_harness.expect import Expect


@dataclass(frozen=True, slots=True)
class ScopeContext:
    scope: str
    """The scope id on the emulator."""
    client: EmulatorClient
    """The control API client."""
    expect: Expect
    """The scope's expect DSL (its source, default timeout and metrics reader)."""
    api_key: Callable[[], str]
    """The scope's web app api key (`braze.api_key`, created on first use)."""
    rest_key: Callable[[], str]
    """A REST API key of that app's workspace (`braze.rest_key()`): the REST calls' default Bearer."""
