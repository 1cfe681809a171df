"""Bad input never answers 500: impossible ids in object URLs are 404 before any query, and
malformed numbers in query strings are 400 with a clear, translated message."""

from __future__ import annotations

import pytest
from archive_helpers import client_for
from sikd_archive.rules.params import MAX_ID, MAX_PAGE, whole_number
from test_dispositions import make_record
from werkzeug.routing import IntegerConverter

IMPOSSIBLE_IDS = (MAX_ID + 1, 2**63, 2**64 + 1, 10**30)
BAD_NUMBERS = ("1e20", "²", "٣", "-1", "0", "1.5", "abc", "99999999999999999999", str(2**64))
# the object URLs the audit named; every other archive URL with an id is swept as well
NAMED = {
    "archive.record",
    "archive.record_edit",
    "archive.download",
    "archive.disposition_item",
    "archive.disposition_send",
    "archive.attachment_add",
    "archive.legal_hold",
    "archive.berkas_close",
}


def english(client):
    client.post("/language", data={"language": "en", "next": "/"})
    return client


def archive_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("archive.")]


def id_arguments(rule):
    return [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]


def url_of(rule, number):
    """The rule's URL with every id argument set to ``number``, built by hand (the
    converter would refuse to build an impossible id); other arguments are "csv"."""
    parts = []
    for is_dynamic, data in rule._trace:
        if not is_dynamic:
            parts.append(data)
        elif isinstance(rule._converters[data], IntegerConverter):
            parts.append(str(number))
        else:
            parts.append("csv")
    return "".join(parts).split("|", 1)[-1]


@pytest.fixture
def admin(app, org, make_user):
    make_user("super", roles=["admin"])
    return english(client_for(app, "super"))


def test_every_id_in_an_archive_url_is_bounded(app):
    rules = [r for r in archive_rules(app) if id_arguments(r)]
    assert {r.endpoint for r in rules} >= NAMED
    for rule in rules:
        for name in id_arguments(rule):
            converter = rule._converters[name]
            assert (converter.min, converter.max) == (1, MAX_ID), rule.rule


def test_impossible_ids_answer_404_on_every_archive_object_url(app, org, admin):
    make_record(app, org)
    staf1 = client_for(app, "staf1")
    tried = set()
    for rule in archive_rules(app):
        if not id_arguments(rule):
            continue
        for number in IMPOSSIBLE_IDS:
            url = url_of(rule, number)
            for method in {"GET", "POST"} & rule.methods:
                for client in (admin, staf1):
                    response = client.open(url, method=method, data={"reason": "x"})
                    assert response.status_code == 404, (method, url, response.status_code)
                    tried.add(rule.endpoint)
        for method in {"GET", "POST"} & rule.methods:  # the largest id: a real query, no row
            response = admin.open(url_of(rule, MAX_ID), method=method, data={"reason": "x"})
            assert response.status_code < 500, (method, rule.rule, response.status_code)
    assert tried >= NAMED


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_malformed_numbers_in_query_strings_are_400_with_a_message(app, org, admin, value):
    cases = [
        ("/arsip/naskah", {"page": value}, "Not a valid page number."),
        ("/arsip/naskah", {"unit": value}, "Unknown unit."),
        ("/arsip/", {"unit": value}, "Unknown unit."),
        ("/arsip/kotak-masuk", {"page": value}, "Not a valid page number."),
        ("/arsip/cari", {"q": "rapat", "page": value}, "Not a valid page number."),
        ("/arsip/cari", {"q": "rapat", "unit": value}, "Unknown unit."),
        ("/arsip/penyusutan/daftar/aktif.csv", {"unit": value}, "Unknown unit."),
        ("/arsip/penyusutan/daftar/inaktif.xlsx", {"unit": value}, "Unknown unit."),
    ]
    for url, params, message in cases:
        response = admin.get(url, query_string=params)
        assert response.status_code == 400, (url, params, response.status_code)
        page = response.data.decode()
        assert message in page and 'role="alert"' in page, (url, params)


def test_the_message_is_translated(app, org):
    staf1 = client_for(app, "staf1")  # the default language: Indonesian
    page = staf1.get("/arsip/naskah", query_string={"page": "²"})
    assert page.status_code == 400
    assert "Not a valid page number." not in page.data.decode()
    assert "Nomor halaman tidak valid." in page.data.decode()


def test_pages_beyond_the_limit_are_refused_and_good_ones_still_work(app, org, admin):
    assert admin.get("/arsip/naskah", query_string={"page": MAX_PAGE + 1}).status_code == 400
    assert admin.get("/arsip/naskah", query_string={"page": MAX_PAGE}).status_code == 200
    assert admin.get("/arsip/kotak-masuk", query_string={"page": " 2 "}).status_code == 200
    assert admin.get("/arsip/naskah", query_string={"unit": org.units["B"]}).status_code == 200
    assert admin.get("/arsip/naskah", query_string={"unit": ""}).status_code == 200


def test_no_archive_page_answers_500_to_bad_query_values(app, org, admin):
    """Every archive URL (ids set to a real record, 1 or the largest id), GET and POST, with
    every query argument the pages read set to each bad value."""
    record_id = make_record(app, org)
    names = ("page", "unit", "status", "show", "kind", "sifat", "from", "to", "code", "q")
    for rule in archive_rules(app):
        if rule.endpoint.endswith("static"):
            continue
        for number in {record_id, 1, MAX_ID} if id_arguments(rule) else {1}:
            url = url_of(rule, number)
            for value in BAD_NUMBERS:
                query = {name: value for name in names}
                for method in {"GET", "POST"} & rule.methods:
                    response = admin.open(url, method=method, query_string=query)
                    assert response.status_code < 500, (method, url, value, response.status_code)


def test_whole_number():
    assert whole_number("12") == 12 and whole_number(" 7 ") == 7 and whole_number("007") == 7
    for value in (None, "", " ", "0", "-1", "+1", "1e20", "1.0", "²", "٣", "1 2", "0x10"):
        assert whole_number(value) is None, value
    assert whole_number(str(MAX_ID)) == MAX_ID and whole_number(str(MAX_ID + 1)) is None
    assert whole_number("9" * 5000) is None  # no huge int is ever built
    assert whole_number("5", maximum=4) is None and whole_number("0004", maximum=4) == 4
