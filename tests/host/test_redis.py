"""With SIKD_REDIS_URL, the login rate limit is shared by every worker and host."""

import uuid

import pytest
import redis

from sikd_host import create_app
from sikd_host.testing import log_in

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379")


def test_failed_login_limit_is_shared_between_two_instances(database_url, tmp_path, make_user):
    prefix = f"sikd-test-{uuid.uuid4().hex}"
    config = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared",
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first = create_app({**config, "INSTANCE_PATH": str(tmp_path / "a")})
    second = create_app({**config, "INSTANCE_PATH": str(tmp_path / "b")})
    try:
        make_user("budi")
        for number in range(5):
            app = first if number % 2 else second
            assert log_in(app.test_client(), "budi", "wrong password").status_code == 200
        assert log_in(first.test_client(), "budi", "wrong password").status_code == 429
        assert log_in(second.test_client(), "budi", "wrong password").status_code == 429
        assert any(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*")), "not in Redis"
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
