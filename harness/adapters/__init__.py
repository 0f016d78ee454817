"""App adapters: the one seam between the QA suites and the app under test."""

from braze_harness.adapters.base import (
    ATTRIBUTE_KINDS,
    STANDARD_PROFILE_FIELDS,
    AdapterLimitation,
    AppAdapter,
    AttributeKind,
    Capabilities,
    require,
)

__all__ = [
    "ATTRIBUTE_KINDS",
    "STANDARD_PROFILE_FIELDS",
    "AdapterLimitation",
    "AppAdapter",
    "AttributeKind",
    "Capabilities",
    "require",
]
