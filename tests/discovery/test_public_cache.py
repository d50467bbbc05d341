"""The cache shared by every process, which holds the public page's rate-limit counters (R-DISC-02):
the database cache increments atomically and keeps the counter's expiry; Redis is used when configured."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from django.core.cache import cache, caches
from django.db import close_old_connections, connection

from fangpin.cache import DatabaseCache

pytestmark = pytest.mark.django_db


def _expires(key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM fangpin_cache WHERE cache_key = %s", [cache.make_key(key)])
        return cursor.fetchone()[0]


def test_the_default_cache_is_the_shared_database_table_R_DISC_02():
    assert isinstance(caches["default"], DatabaseCache)
    assert cache.add("rl:probe", 0, 3600)
    assert cache.incr("rl:probe") == 1 and cache.incr("rl:probe", 5) == 6 and cache.decr("rl:probe") == 5
    assert cache.get("rl:probe") == 5
    with pytest.raises(ValueError):
        cache.incr("rl:missing")


def test_an_increment_keeps_the_counters_expiry_R_DISC_02():
    """Django's own DatabaseCache.incr rewrites the entry with the default timeout (300 s): a daily limit
    would forget its count after five minutes."""
    cache.add("rl:day", 0, 86400)
    expires = _expires("rl:day")
    for _ in range(3):
        cache.incr("rl:day")
    assert _expires("rl:day") == expires
    assert cache.get("rl:day") == 3


def test_redis_is_the_shared_cache_when_configured_R_DISC_02():
    env = {**os.environ, "FANGPIN_REDIS_URL": "redis://127.0.0.1:6379/5", "DJANGO_SETTINGS_MODULE": "fangpin.settings"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/5"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_increments_lose_no_count_R_DISC_02():
    if connection.vendor != "postgresql":
        pytest.skip("并发计数测试需要 PostgreSQL（SQLite 整库串行写入）：设置 DATABASE_URL=postgres://… 后运行")
    threads, rounds = 8, 15
    cache.add("rl:race", 0, 600)
    barrier = threading.Barrier(threads)
    crashed = []

    def worker():
        close_old_connections()
        try:
            barrier.wait()
            for _ in range(rounds):
                cache.incr("rl:race")
        except Exception as exc:  # pragma: no cover - reported below
            crashed.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not crashed, crashed
    assert cache.get("rl:race") == threads * rounds


REDIS_PROBE = """
import django; django.setup()
from django.core.cache import cache, caches
from django.test import RequestFactory
from django_ratelimit.core import is_ratelimited
cache.clear()
request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
seen = [is_ratelimited(request, group="probe", key="ip", rate="3/h", increment=True) for _ in range(5)]
print(type(caches["default"]).__name__, seen)
cache.clear()
"""


def test_with_redis_the_limits_count_in_redis_R_DISC_02():
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("没有可用的 Redis（127.0.0.1:6379）")
    env = {**os.environ, "FANGPIN_REDIS_URL": url, "FANGPIN_CACHE_PREFIX": f"test{os.getpid()}",
           "DJANGO_SETTINGS_MODULE": "fangpin.settings"}
    out = subprocess.run([sys.executable, "-c", REDIS_PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split("[")[0].strip() == "RedisCache"
    assert "[False, False, False, True, True]" in out.stdout
