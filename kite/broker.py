"""What Kite asks of the message broker beyond sending: how many messages it still holds."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

logger = logging.getLogger(__name__)


def messages_held(queue_name: str) -> int | None:
    """How many messages the broker holds for `queue_name`, or None when it cannot say (or is down).

    Redis and Valkey count every message not yet acknowledged, waiting or being worked on; RabbitMQ counts
    the ones waiting for a worker.
    """
    broker = dramatiq.get_broker()
    try:
        if isinstance(broker, RedisBroker):
            return int(broker.client.hlen(f"{broker.namespace}:{queue_name}.msgs"))
        if isinstance(broker, RabbitmqBroker):
            return broker.get_queue_message_counts(queue_name)[0]
    except Exception:  # an unreachable broker: the caller decides nothing from it
        logger.warning("could not count the messages of queue %s", queue_name)
    return None
