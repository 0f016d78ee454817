"""Exceptions shared by the harness.

The pytest plugin prints a ``HarnessConfigError`` as a one-line message without a
stack trace: it means the user has to fix a setting, not that the harness is broken.
"""


class HarnessError(Exception):
    """Base class of every error the harness raises on purpose."""


class HarnessConfigError(HarnessError):
    """A mistake in the user's configuration (bad option value, missing tool, ...)."""
