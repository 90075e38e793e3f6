"""kombu's Redis transport, made to survive a broker outage (§16: a worker stays up and resumes
when the broker returns, every time).

When Redis goes away, Celery's consumer first collects the connection (which detaches the
transport from its kombu ``Connection``) and then closes it. Closing a channel that still holds
an unacknowledged message (a task running under late acks) restores that message, and kombu
5.7 builds the client for the restore from the detached transport's connection info, which is
``None`` by then: ``AttributeError: 'NoneType' object has no attribute 'hostname'`` escapes the
connection-error handling and the worker exits with "Unrecoverable error" (kombu issues #582
and #970 show the same path; no released kombu avoids it).

This channel remembers the parameters it connected with and builds the restore's client from
them. If Redis is back the message is restored at once; if it is still down the restore fails
with Redis's own ``ConnectionError``, which kombu and Celery handle as the connection loss it
is, and the message stays in Redis's unacked index until the visibility timeout brings it back.
Every task of this project is idempotent, so a message run twice is harmless.

Selected by ``CELERY_BROKER_TRANSPORT`` in the settings when the broker URL is Redis."""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    _connected_with = None

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            if self._connected_with is None:
                raise RedisConnectionError("the broker connection is closed")
            return dict(self._connected_with)
        params = super()._connparams(asynchronous=asynchronous)
        if not asynchronous:
            self._connected_with = dict(params)
        return params


class Transport(kombu_redis.Transport):
    Channel = Channel
