"""config/broker.py: a channel closed after its transport was detached from the connection (what
Celery's consumer does when Redis goes away) restores its unacknowledged message instead of
killing the worker with an AttributeError. Against the Redis of REDIS_URL."""

import os
import uuid

import pytest
import redis
from django.conf import settings
from kombu import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from config.broker import Channel

REDIS_URL = os.environ.get("REDIS_URL", "")

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL")


def unacked_then_detached(transport: str, queue: str):
    """A connection whose default channel holds one unacknowledged message of `queue`, its
    transport detached from the connection as Celery's consumer leaves it after a connection
    error."""
    connection = Connection(REDIS_URL, transport=transport)
    channel = connection.default_channel
    with connection.Producer(channel) as producer:
        producer.publish({"n": 1}, routing_key=queue, declare=[connection.SimpleQueue(queue).queue])
    message = channel.basic_get(queue, no_ack=False)
    assert message is not None
    connection.transport.client = None  # kombu's Connection._do_close_transport
    return connection, channel


@needs_redis
def test_plain_kombu_dies_on_the_restore_after_the_transport_is_detached():
    """The failure this module guards against, reproduced with kombu's own transport: when
    kombu fixes it, this test fails and the guard can go."""
    queue = f"outage-plain-{uuid.uuid4().hex}"
    _, channel = unacked_then_detached("redis", queue)
    with pytest.raises(AttributeError, match="hostname"):
        channel.close()
    redis.Redis.from_url(REDIS_URL).delete(queue)


@needs_redis
def test_the_guarded_channel_restores_the_unacked_message_and_closes():
    queue = f"outage-guarded-{uuid.uuid4().hex}"
    _, channel = unacked_then_detached("config.broker:Transport", queue)
    channel.close()
    assert channel.closed
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.llen(queue) == 1  # back on its queue, to be delivered again
    finally:
        client.delete(queue)


def test_without_parameters_to_reuse_the_restore_fails_as_a_connection_error():
    """A connection error is what kombu and Celery handle as a lost connection (the message then
    waits in Redis's unacked index for the visibility timeout)."""

    class Detached:
        client = None

    channel = Channel.__new__(Channel)
    channel.connection = Detached()
    with pytest.raises(RedisConnectionError):
        channel._connparams()
    channel.connection = None
    with pytest.raises(RedisConnectionError):
        channel._connparams()


def test_the_settings_pick_the_guarded_transport_for_redis_only():
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        assert settings.CELERY_BROKER_TRANSPORT == "config.broker:Transport"
    else:
        assert settings.CELERY_BROKER_TRANSPORT is None
    assert settings.CELERY_BROKER_CONNECTION_MAX_RETRIES is None
