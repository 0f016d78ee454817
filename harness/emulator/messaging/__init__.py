"""Messaging in the emulator: segments, campaigns (IAM, Content Cards, feature flags, banners), canvases,
serving them to the SDK, and their engagement metrics. See `service.Messaging`."""

from braze_harness.emulator.messaging.canvas_models import parse_canvas
from braze_harness.emulator.messaging.models import DefinitionError, parse_campaign, parse_segment
from braze_harness.emulator.messaging.service import Messaging

__all__ = ["DefinitionError", "Messaging", "parse_campaign", "parse_canvas", "parse_segment"]
