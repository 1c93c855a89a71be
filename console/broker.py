"""What the Celery broker says about itself, for /readyz and /metrics: whether it answers, and how
many messages wait in each queue. Every host asks the same broker, so every host reports the same.

A passive declare reads a queue's depth on Redis, RabbitMQ and kombu's filesystem transport alike;
a queue no worker has declared yet holds nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from amqp.exceptions import ChannelError
from django.conf import settings
from kombu import Connection

from console.celery import app

# Short, so that a probe or a scrape answers in time when the broker does not.
CONNECT_TIMEOUT_SECONDS = 2.0


def queues() -> list[str]:
    """Return the queues tasks are sent to: the default one and every routed one."""
    routed = {route["queue"] for route in (app.conf.task_routes or {}).values()}
    return sorted({app.conf.task_default_queue, *routed})


@contextmanager
def _connected() -> Iterator[Connection]:
    with app.connection_for_read(
        settings.CELERY_BROKER_URL, connect_timeout=CONNECT_TIMEOUT_SECONDS
    ) as connection:
        connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_SECONDS)
        yield connection


def _depth(connection: Connection, queue: str) -> int:
    # A channel of its own: on RabbitMQ a passive declare of a missing queue closes the channel.
    with connection.channel() as channel:
        try:
            return channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError as exc:
            # kombu's own transports say NOT_FOUND in words; RabbitMQ's NotFound says it too.
            if "NOT_FOUND" not in str(exc):
                raise
            return 0


def broker_ping() -> None:
    """Raise if the broker does not answer (its error says why)."""
    with _connected() as connection:
        _depth(connection, app.conf.task_default_queue)


def queue_depths() -> dict[str, int]:
    """Return how many messages wait in each queue (raise if the broker does not answer)."""
    with _connected() as connection:
        return {queue: _depth(connection, queue) for queue in queues()}
