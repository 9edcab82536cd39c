"""The outbox sender: rates (token buckets), digests (what one message carries), outcomes, the loop."""

from bot.delivery.sender import OutboxSender

__all__ = ["OutboxSender"]
