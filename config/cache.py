"""Django's Redis cache, with one `redis.Redis` client per connection pool instead of a new one
for every operation (Django's builds a client, and redis-py its reply table, on each call: on
the API, where the request-rate throttle reads and writes the cache on every request, that
cost more than the two round trips themselves). A client over a pool is thread-safe."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Count a request, open the window on the first, answer the count and the milliseconds left (a
# counter somehow left without expiry gets one).
COUNT_IN_WINDOW = """
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}
"""


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
        self._window_script = None

    def count_in_window(self, key: str, duration: int) -> tuple[int, float]:
        """Count one request under `key` in a fixed window of `duration` seconds opened by the
        first, in one round trip (an atomic script): (the window's count with this one,
        seconds until the window closes). The API's request rates (tickets/api/throttling.py)."""
        client = self._cache.get_client(key, write=True)
        if self._window_script is None:
            self._window_script = client.register_script(COUNT_IN_WINDOW)
        count, left_ms = self._window_script(
            keys=[self.make_and_validate_key(key)], args=[duration * 1000], client=client
        )
        return int(count), int(left_ms) / 1000
