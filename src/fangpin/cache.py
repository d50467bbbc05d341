"""The shared cache's database backend: Django's DatabaseCache with an atomic ``incr``.

Rate-limit counters (django-ratelimit) are kept in the cache shared by every process. Without Redis
(``FANGPIN_REDIS_URL``) that cache is a table of the application's database. Django's own
``DatabaseCache.incr`` reads the value and writes it back in two statements and, writing it back,
resets the entry's expiry to the cache's default timeout: concurrent requests would lose counts and a
daily limit would forget its count after five minutes. Here the increment locks the row (PostgreSQL
``SELECT … FOR UPDATE``; SQLite runs every transaction as ``BEGIN IMMEDIATE``, one writer at a time)
and rewrites only the value, keeping the entry's expiry.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction

# The table the database cache uses; created by discovery's migration 0002 (and ``createcachetable``).
CACHE_TABLE = "fangpin_cache"


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        raw_key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        qn = connection.ops.quote_name
        table = qn(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {qn('cache_key')} FROM {table} WHERE {qn('cache_key')} = %s{lock}", [raw_key])
                cursor.fetchall()
            value = self.get(key, self._missing_key, version=version)  # also drops an expired entry
            if value is self._missing_key:
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            encoded = base64.b64encode(pickle.dumps(new_value, self.pickle_protocol)).decode("latin1")
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {qn('value')} = %s WHERE {qn('cache_key')} = %s",
                               [encoded, raw_key])
        return new_value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)
