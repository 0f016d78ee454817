"""Push sending in the emulator: platform payloads (`payloads`), sends and per-device outboxes (`service`),
and their HTTP routes (`routes`: control API and the REST `/messages/send` subset)."""

from braze_harness.emulator.push.service import PushDelivery, PushSendError, PushService, SendResult
from braze_harness.protocol.push import PayloadError, PushMessage

__all__ = ["PayloadError", "PushDelivery", "PushMessage", "PushSendError", "PushService", "SendResult"]
