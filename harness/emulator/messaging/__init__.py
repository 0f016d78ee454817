"""Messaging in the emulator: segments, campaigns (IAM, Content Cards, feature flags, banners),
serving them to the SDK, and their engagement metrics. See `service.Messaging`."""

from harness.emulator.messaging.models import DefinitionError, parse_campaign, parse_segment
from harness.emulator.messaging.service import Messaging

__all__ = ["DefinitionError", "Messaging", "parse_campaign", "parse_segment"]
