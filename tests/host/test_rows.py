"""plain_rows: query results as named tuples for templates."""

import pytest
from sqlalchemy import literal_column, select

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.rows import plain_rows, row_type


def test_plain_rows_carry_the_columns_by_name_and_in_order(app, make_user):
    make_user("rina", full_name="Rina Wati")
    make_user("budi", full_name="Budi Santoso")
    with app.app_context():
        statement = select(User.username, User.full_name, literal_column("7").label("seven"))
        rows = plain_rows(db.session.execute(statement.order_by(User.username)))
        expected = db.session.execute(statement.order_by(User.username)).all()
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    budi = next(row for row in rows if row.username == "budi")
    assert (budi.full_name, budi.seven, budi[0]) == ("Budi Santoso", 7, "budi")
    assert type(budi) is row_type(("username", "full_name", "seven"))  # made once per names
    assert isinstance(budi, tuple) and not hasattr(budi, "_mapping")


def test_an_empty_result_gives_an_empty_list(app):
    with app.app_context():
        assert plain_rows(db.session.execute(select(User.id).where(User.id < 0))) == []


@pytest.mark.parametrize("name", ["class", "_private", "7"])
def test_a_column_without_a_python_name_is_refused_clearly(app, name):
    with app.app_context():
        result = db.session.execute(select(literal_column("7").label(name)))
        with pytest.raises(ValueError, match="label every column with a Python name"):
            plain_rows(result)
