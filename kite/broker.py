"""What Kite asks of the message broker beyond sending: how many messages it still holds."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker

logger = logging.getLogger(__name__)


def messages_held(queue_name: str) -> int | None:
    """How many messages a Redis or Valkey broker holds for `queue_name`, waiting or being worked on; None when
    it cannot say (it is down, or it is RabbitMQ).

    RabbitMQ is left out on purpose: its counts leave out the messages workers have already fetched, so a
    count of zero would not mean lost; and with publisher confirms it does not lose a message it accepted.
    """
    broker = dramatiq.get_broker()
    if not isinstance(broker, RedisBroker):
        return None
    try:
        return int(broker.client.hlen(f"{broker.namespace}:{queue_name}.msgs"))
    except Exception:  # an unreachable broker: the caller decides nothing from it
        logger.warning("could not count the messages of queue %s", queue_name)
    return None
