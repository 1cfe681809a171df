"""Berkas (case files): list, open a new one, close one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from sikd_archive import access, records
from sikd_archive.forms import BerkasForm, CloseBerkasForm
from sikd_archive.models import Berkas, Klasifikasi, Record
from sikd_archive.views import ID, bp
from sikd_host.plugin_api import Unit, audit, current_user, db, gettext, permission_required


@bp.route("/berkas", methods=["GET", "POST"])
@permission_required("archive.register")
def berkas_list() -> Any:
    form = BerkasForm()
    form.klasifikasi_id.choices = [(0, "-")] + [
        (i, f"{c} {n}")
        for i, c, n in db.session.execute(
            select(Klasifikasi.id, Klasifikasi.code, Klasifikasi.name).order_by(Klasifikasi.code)
        )
    ]
    form.unit_id.choices = [
        (i, f"{c} {n}")
        for i, c, n in db.session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.code))
    ]
    status = 200
    if request.method == "GET":
        form.opened_on.data = dt.date.today()
        if current_user.position:
            form.unit_id.data = current_user.position.unit_id
    elif form.validate_on_submit():
        number = form.number.data.strip()
        if db.session.scalar(select(Berkas.id).where(Berkas.number == number)):
            form.number.errors = [gettext("The number %(n)s is already used.", n=number)]
            status = 422
        else:
            berkas = Berkas(
                number=number,
                title=form.title.data.strip(),
                klasifikasi_id=form.klasifikasi_id.data or None,
                unit_id=form.unit_id.data,
                opened_on=form.opened_on.data,
                created_by_id=current_user.id,
            )
            db.session.add(berkas)
            db.session.flush()
            audit.record(
                current_user,
                "archive.berkas_opened",
                "archive_berkas",
                berkas.id,
                {"number": number},
            )
            db.session.commit()
            flash(gettext("Case file opened."), "success")
            return redirect(url_for("archive.berkas_list"))
    else:
        status = 422
    return render_template(
        "archive/berkas.html", rows=_listed(), form=form, close=CloseBerkasForm()
    ), status


def _listed() -> list[Any]:
    """The berkas the user may see, open ones first, each with the number of its records
    the user may see (one query)."""
    count = (
        select(func.count(Record.id))
        .where(Record.berkas_id == Berkas.id, access.visible(current_user))
        .correlate(Berkas)
        .scalar_subquery()
    )
    return list(
        db.session.execute(
            select(Berkas, count.label("records"))
            .where(access.berkas_visible(current_user))
            .order_by(Berkas.closed_on.is_not(None), Berkas.number)
        ).all()
    )


def visible_berkas(berkas_id: int) -> Berkas:
    """The berkas if the current user may see it; otherwise 404, as if it did not exist."""
    berkas = db.session.scalar(
        select(Berkas).where(Berkas.id == berkas_id, access.berkas_visible(current_user))
    )
    if berkas is None:
        abort(404)
    return berkas


@bp.route(f"/berkas/<{ID}:berkas_id>/tutup", methods=["POST"])
@permission_required("archive.register")
def berkas_close(berkas_id: int) -> Any:
    berkas = visible_berkas(berkas_id)
    form = CloseBerkasForm()
    if not form.validate_on_submit() or form.closed_on.data < berkas.opened_on:
        flash(gettext("Give a closing date on or after the opening date."), "danger")
        return redirect(url_for("archive.berkas_list")), 303
    try:
        count = records.close_berkas(current_user, berkas, form.closed_on.data)
    except records.RecordError as error:
        db.session.rollback()
        flash(gettext(next(iter(error.errors.values()))), "danger")
        return redirect(url_for("archive.berkas_list")), 303
    db.session.commit()
    flash(
        gettext("Case file closed; the retention of %(n)s record(s) starts now.", n=count),
        "success",
    )
    return redirect(url_for("archive.berkas_list"))
