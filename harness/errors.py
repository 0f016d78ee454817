"""Exceptions shared by the harness.

The pytest plugin prints a ``HarnessConfigError`` as a one-line message without a
stack trace: it means the user has to fix a setting, not that the harness is broken.
"""


class HarnessError(Exception):
    """Base class of every error the harness raises on purpose."""


class HarnessConfigError(HarnessError):
    """A mistake in the user's configuration (bad option value, missing tool, ...)."""


class PerReplicaLimitation(HarnessError):
    """What a fleet's replicas each keep to themselves (faults, messaging seeds, ...: docs/fleet.md) was asked of a URL
    that reaches several replicas: the SDK's requests would meet a replica without it. The pytest plugin reports
    the test as skipped with this message."""
