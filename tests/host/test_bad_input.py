"""Bad input answers 400, 404 or 422 with a message, never 500: NUL characters, integers no
column can hold, huge page numbers, non-ASCII digits in a NIP, unreadable spreadsheet rows.

Run on PostgreSQL too (SIKD_TEST_DATABASE_URL): it refuses NUL in text and integers beyond
2^31-1, which SQLite would store or compare without complaint.
"""

import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db
from sikd_host.org.models import Unit
from sikd_host.query import DB_INT_MAX

TOO_BIG = DB_INT_MAX + 1
NUL_MESSAGE = "NUL character"


@pytest.fixture
def admin(client, login_as):
    login_as("admin")
    client.post("/language", data={"language": "en"})
    return client


def example_url(rule, number=1):
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        values[name] = number if "Integer" in converter else "x"
    return rule.build(values, append_unknown=False)[1]


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


# --- NUL characters ------------------------------------------------------------------


def test_anonymous_login_with_a_nul_in_the_user_name_is_400(client):
    response = client.post("/login", data={"username": "a\x00b", "password": "whatever"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.data.decode() or "NUL" in response.data.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users?q=a%00b",
        "/admin/audit/?user=a%00b",
        "/admin/audit/?action=%00",
        "/admin/audit/export.csv?object_id=%00",
        "/arsip/cari?q=%00",
        "/?x=%00",
    ],
)
def test_a_nul_in_a_query_argument_is_400(admin, url):
    response = admin.get(url)
    assert response.status_code == 400, url
    assert NUL_MESSAGE in response.data.decode()


def test_a_nul_in_a_form_field_or_json_is_400_and_nothing_is_written(app, admin):
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = admin.post(
        "/admin/org/units/new", data={"code": "X\x00", "name": "Unit", "parent_id": "0"}
    )
    assert response.status_code == 400 and NUL_MESSAGE in response.data.decode()
    response = admin.post("/admin/org/units/new", json={"code": ["a", {"b": "c\x00"}]})
    assert response.status_code == 400 and response.json["status"] == 400
    upload = admin.post(
        "/admin/org/import",
        data={"kind": "units", "file": (io.BytesIO(b"kode,nama,kode_induk\n"), "a\x00.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_every_route_refuses_a_nul_argument_before_anything_else(app, admin):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert len(rules) > 50
    for rule in rules:
        url = example_url(rule) + "?v=%00"
        for method in methods(rule):
            response = admin.open(url, method=method, data={"f": "x\x00"})
            assert response.status_code in (400, 404), (method, url, response.status_code)


# --- integers in URLs ----------------------------------------------------------------


def test_every_int_in_a_url_is_bounded_by_the_database_integer(app):
    bounded = 0
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if "Integer" in converter.__class__.__name__:
                assert converter.max is not None and converter.max <= DB_INT_MAX, rule.rule
                bounded += 1
    assert bounded > 10  # the host's and the plugins' ids


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/users/{TOO_BIG}",
        f"/admin/users/{10**30}",
        f"/admin/roles/{TOO_BIG}",
        f"/admin/org/units/{TOO_BIG}",
        f"/admin/org/positions/{TOO_BIG}",
    ],
)
def test_an_id_beyond_the_integer_range_is_404(admin, url):
    assert admin.get(url).status_code == 404
    assert admin.post(url, data={"name": "x"}).status_code == 404


def test_every_int_route_answers_an_out_of_range_id_without_500(app, admin):
    tried = 0
    for rule in app.url_map.iter_rules():
        if not any("Integer" in c.__class__.__name__ for c in rule._converters.values()):
            continue
        for number in (DB_INT_MAX, TOO_BIG):
            url = example_url(rule, number)
            for method in methods(rule):
                response = admin.open(url, method=method, data={"reason": "x"})
                assert response.status_code < 500, (method, url, response.status_code)
                if number == TOO_BIG:
                    assert response.status_code == 404, (method, url)
                tried += 1
    assert tried > 20


# --- page numbers --------------------------------------------------------------------


@pytest.mark.parametrize("page", ["99999999999999999999", "9" * 5000, "-1", "0", "1e3", "²"])
@pytest.mark.parametrize("url", ["/admin/users", "/admin/audit/"])
def test_a_page_number_out_of_range_is_400(admin, url, page):
    response = admin.get(url, query_string={"page": page})
    assert response.status_code == 400, (url, page)
    assert "page number" in response.data.decode()


@pytest.mark.parametrize("url", ["/admin/users", "/admin/audit/"])
def test_a_good_page_number_still_works(admin, url):
    assert admin.get(url, query_string={"page": "3"}).status_code == 200
    assert admin.get(url, query_string={"page": ""}).status_code == 200


# --- NIP ------------------------------------------------------------------------------


@pytest.mark.parametrize("nip", ["19900101²015031001", "١٩٩٠٠١٠١٢٠١٥٠٣١٠٠١"])
def test_a_nip_with_non_ascii_digits_is_refused_on_the_user_form(admin, nip):
    response = admin.post(
        "/admin/users/new",
        data={"username": "dewi", "full_name": "Dewi", "nip": nip, "position_id": "0"},
    )
    assert response.status_code == 422
    assert "A NIP has exactly 18 digits." in response.data.decode()


def test_a_nip_with_non_ascii_digits_is_refused_by_the_cli(runner):
    result = runner.invoke(
        args=["users", "create", "dewi", "--name", "Dewi", "--nip", "19900101²015031001",
              "--password", "a good password"]
    )  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output


# --- spreadsheets ---------------------------------------------------------------------


def upload(client, text, filename="units.csv", kind="units"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/admin/org/import",
        data={"kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_a_csv_cell_over_the_field_limit_is_a_problem_not_a_500(app, admin, runner, tmp_path):
    text = "kode,nama,kode_induk\nA,Unit A,\nB," + "x" * 200_000 + ",\n"
    response = upload(admin, text)
    assert response.status_code == 422
    assert "longer than 131072 characters" in response.data.decode()
    path = tmp_path / "units.csv"
    path.write_text(text)
    result = runner.invoke(args=["org", "import", "units", str(path)])
    assert result.exit_code == 1 and "row 3" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_a_nul_in_a_csv_cell_is_a_problem_naming_row_and_column(app, admin):
    response = upload(admin, "kode,nama,kode_induk\nA,Unit\x00A,\n")
    assert response.status_code == 422
    page = response.data.decode()
    assert NUL_MESSAGE in page and "nama" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 0


def test_an_xlsx_damaged_inside_is_a_problem_not_a_500(admin):
    workbook = Workbook()
    workbook.active.append(["kode", "nama", "kode_induk"])
    workbook.active.append(["A", "Unit A", ""])
    good = io.BytesIO()
    workbook.save(good)
    damaged = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of the rows
            target.writestr(item, data)
    response = upload(admin, damaged.getvalue(), filename="units.xlsx")
    assert response.status_code == 422
    assert "not a readable XLSX workbook" in response.data.decode()
