"""url_maker: the URL of each row from one url_for, always the URL url_for gives."""

import pytest
from flask import Flask, url_for

from sikd_host.query import IntegerConverter
from sikd_host.urls import MARKER, url_maker


@pytest.fixture
def plain_app():
    app = Flask(__name__)
    app.url_map.converters["int"] = IntegerConverter
    page = lambda **values: "ok"  # noqa: E731 - only the rules matter
    app.add_url_rule("/naskah/<int:record_id>", "record", page)
    app.add_url_rule("/hasil/<int:run_id>/<int:user_id>", "result", page)
    app.add_url_rule("/nomor/<int(fixed_digits=6):number>", "padded", page)
    app.add_url_rule("/sama/<int:a>/<int:b>", "twice", page)
    return app


IDS = [1, 7, 42, 1_000_000, MARKER - 1, 2**31 - 1]


@pytest.mark.parametrize("script_root", ["", "/sikd"])
def test_each_url_is_the_one_url_for_builds(plain_app, script_root):
    with plain_app.test_request_context("/", base_url=f"http://example.test{script_root}"):
        record_url = url_maker("record", "record_id")
        result_url = url_maker("result", "user_id", run_id=3, period="2026-1")
        for value in IDS:
            assert record_url(value) == url_for("record", record_id=value)
            assert result_url(value) == url_for("result", run_id=3, user_id=value, period="2026-1")
        assert record_url(5).startswith(f"{script_root}/naskah/")
        assert result_url(9) == f"{script_root}/hasil/3/9?period=2026-1"


def test_a_rule_that_does_not_write_the_id_as_it_is_falls_back_to_url_for(plain_app):
    with plain_app.test_request_context("/"):
        padded = url_maker("padded", "number")
        assert padded(42) == url_for("padded", number=42) == "/nomor/000042"
        twice = url_maker("twice", "b", a=MARKER)  # the marker would be found twice
        assert twice(5) == url_for("twice", a=MARKER, b=5)


def test_an_unknown_endpoint_fails_as_url_for_does(plain_app):
    with plain_app.test_request_context("/"), pytest.raises(Exception, match="Could not build"):
        url_maker("nowhere", "record_id")
