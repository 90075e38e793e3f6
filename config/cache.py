"""Django's Redis cache, with one `redis.Redis` client per connection pool instead of a new one
for every operation (Django's builds a client, and redis-py its reply table, on each call: on
the API, where the request-rate throttle reads and writes the cache on every request, that
cost more than the two round trips themselves). A client over a pool is thread-safe."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingClient
