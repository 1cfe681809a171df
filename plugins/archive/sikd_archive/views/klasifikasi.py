"""The classification scheme and its JRA: the tree, the import and the template."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from sikd_archive import access
from sikd_archive import klasifikasi as scheme
from sikd_archive.forms import ImportForm
from sikd_archive.models import Klasifikasi, Record
from sikd_archive.views import bp
from sikd_host.plugin_api import (
    TableError,
    audit,
    current_user,
    db,
    gettext,
    permission_required,
    require,
    template_csv,
    template_xlsx,
)


@bp.route("/klasifikasi", methods=["GET", "POST"])
@permission_required("archive.use")
def klasifikasi() -> Any:
    form = ImportForm()
    problems = []
    status = 200
    if request.method == "POST":
        require("archive.manage_klasifikasi")
        upload = form.file.data
        if form.validate_on_submit() and upload and upload.filename:
            try:
                created, updated = scheme.import_scheme(upload.stream, upload.filename)
            except TableError as error:
                db.session.rollback()
                problems, status = error.problems, 422
            else:
                if created or updated:
                    audit.record(
                        current_user,
                        "archive.klasifikasi_imported",
                        "file",
                        upload.filename,
                        {"created": created, "updated": updated},
                    )
                db.session.commit()
                flash(
                    gettext("Import finished: %(c)s created, %(u)s updated.", c=created, u=updated),
                    "success",
                )
                return redirect(url_for("archive.klasifikasi"))
        else:
            status = 422
    counts = dict(  # of the records the user may see: no hidden or secret one is counted
        db.session.execute(
            select(Record.klasifikasi_id, func.count())
            .where(access.visible(current_user))
            .group_by(Record.klasifikasi_id)
        ).all()
    )
    codes = db.session.scalars(select(Klasifikasi).order_by(Klasifikasi.code)).all()
    return render_template(
        "archive/klasifikasi.html", codes=codes, counts=counts, form=form, problems=problems
    ), status


@bp.route("/klasifikasi/template.<fmt>")
@permission_required("archive.use")
def klasifikasi_template(fmt: str) -> Any:
    columns = scheme.COLUMNS + scheme.OPTIONAL
    if fmt == "csv":
        return Response(
            template_csv(columns),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="klasifikasi.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            template_xlsx(columns),
            headers={"Content-Disposition": 'attachment; filename="klasifikasi.xlsx"'},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    from flask import abort

    abort(404)
