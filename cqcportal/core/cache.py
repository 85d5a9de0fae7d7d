"""The shared cache (Redis), which never takes a page down with it.

Only what can be worked out again lives in it (public pages for anonymous visitors), so when Redis fails every read
is a miss and every write is dropped, with a warning, and the portal serves from the database. After a failure the
cache is left alone for a few seconds, so an outage costs each request nothing rather than a timeout.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, the cache is not tried again for this long.
RETRY_AFTER_SECONDS = 10.0


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering as an empty cache would while Redis cannot be reached."""

    down_until = 0.0  # shared by every instance in the process: one outage, one pause

    def _guarded(self, call, when_down):
        if time.monotonic() < ResilientRedisCache.down_until:
            return when_down
        try:
            return call()
        except RedisError as error:
            ResilientRedisCache.down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("The cache is unreachable (%s); going on without it for %ss.", error, RETRY_AFTER_SECONDS)
            return when_down

    def get(self, key, default=None, version=None):
        return self._guarded(lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def get_many(self, keys, version=None):
        return self._guarded(lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False)

    def incr(self, key, delta=1, version=None):
        return self._guarded(lambda: super(ResilientRedisCache, self).incr(key, delta, version), None)

    def delete(self, key, version=None):
        return self._guarded(lambda: super(ResilientRedisCache, self).delete(key, version), False)
