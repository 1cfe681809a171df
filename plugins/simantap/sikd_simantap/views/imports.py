"""The talent data import: upload, preview (problems or a summary), apply; and templates.

Between the preview and the apply the uploaded bytes wait on the server, in the instance
folder under a random token, with the kind, period, file name, uploader and SHA-256 beside
them. The apply form carries only the token and the hash; the file is read and validated
again from the kept bytes, never from anything the browser sends back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Optional

from sikd_host.plugin_api import (
    Form,
    TableError,
    current_user,
    db,
    gettext,
    permission_required,
    template_csv,
    template_xlsx,
)
from sikd_host.plugin_api import lazy_gettext as _l
from sikd_simantap import imports
from sikd_simantap.models import Period
from sikd_simantap.rules_import import COLUMNS, KINDS, PERIOD_KINDS
from sikd_simantap.views import bp

KIND_LABELS = {
    "pegawai": _l("Employees (pegawai)"),
    "skp": _l("SKP ratings (skp)"),
    "kompetensi": _l("Competency assessments (kompetensi)"),
    "kompetensi_rinci": _l("Levels per competency (kompetensi_rinci)"),
    "pelatihan": _l("Training (pelatihan)"),
    "disiplin": _l("Discipline penalties (disiplin)"),
    "kehadiran": _l("Attendance figures (kehadiran)"),
    "ekinerja": _l("e-Kinerja values (ekinerja)"),
    "penilaian360": _l("360 ratings (penilaian360)"),
}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PENDING_DIR = "simantap_imports"
PENDING_HOURS = 24
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
SHA256 = re.compile(r"[0-9a-f]{64}")


class ImportForm(Form):
    kind = SelectField(_l("What to import"), choices=list(KIND_LABELS.items()))
    period = SelectField(_l("Period"), validators=[Optional()], validate_choice=False)
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])


class ApplyForm(Form):
    token = HiddenField(validators=[DataRequired()])
    sha256 = HiddenField(validators=[DataRequired()])


def _period_choices() -> list[tuple[str, str]]:
    codes = db.session.scalars(select(Period.code).order_by(Period.starts_on.desc()))
    return [("", "-")] + [(code, code) for code in codes]


# --- uploads waiting between preview and apply ---------------------------------------


def _pending_dir() -> Path:
    path = Path(current_app.instance_path) / PENDING_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def keep_upload(data: bytes, meta: dict[str, Any]) -> tuple[str, str]:
    """Keep the bytes for the apply step; (token, sha256)."""
    _purge_old()
    token = secrets.token_urlsafe(32)
    sha256 = hashlib.sha256(data).hexdigest()
    folder = _pending_dir()
    _write_atomically(folder / token, data)
    _write_atomically(folder / f"{token}.json", json.dumps({**meta, "sha256": sha256}).encode())
    return token, sha256


def load_upload(token: str, sha256: str, user_id: int) -> tuple[bytes, dict[str, Any]] | None:
    """The kept bytes and their facts, if the token, the hash and the uploader all match."""
    if not TOKEN.fullmatch(token or "") or not SHA256.fullmatch(sha256 or ""):
        return None
    folder = _pending_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / token).read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or meta.get("sha256") != sha256:
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        return None
    return data, meta


def drop_upload(token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        folder = _pending_dir()
        for path in (folder / token, folder / f"{token}.json"):
            path.unlink(missing_ok=True)


def _purge_old() -> None:
    limit = time.time() - PENDING_HOURS * 3600
    for path in _pending_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


# --- pages ---------------------------------------------------------------------------


def _page(form: ImportForm, status: int = 200, **context: Any) -> Any:
    return render_template(
        "simantap/import.html",
        form=form,
        kinds=KIND_LABELS,
        columns=COLUMNS,
        period_kinds=PERIOD_KINDS,
        **context,
    ), status


@bp.route("/import", methods=["GET", "POST"])
@permission_required("simantap.manage")
def import_file() -> Any:
    """Upload a file: show its problems, or what applying it would change."""
    form = ImportForm()
    form.period.choices = _period_choices()
    if not form.validate_on_submit():
        return _page(form, 422 if form.errors else 200)
    upload = form.file.data
    data, filename = upload.read(), upload.filename or ""
    kind, period = form.kind.data, form.period.data or None
    try:
        plan = imports.prepare(kind, data, filename, period)
    except TableError as error:
        return _page(form, 422, problems=error.problems, filename=filename)
    finally:
        db.session.rollback()  # the preview never writes
    token, sha256 = keep_upload(
        data,
        {"kind": kind, "period": plan.period, "filename": filename, "user_id": current_user.id},
    )
    apply_form = ApplyForm(token=token, sha256=sha256)
    return _page(form, plan=plan, apply_form=apply_form)


@bp.route("/import/apply", methods=["POST"])
@permission_required("simantap.manage")
def import_apply() -> Any:
    """Apply a previewed upload, validating the kept bytes again, in one transaction."""
    apply_form = ApplyForm()
    if not apply_form.validate_on_submit():
        abort(400)
    token = apply_form.token.data
    kept = load_upload(token, apply_form.sha256.data, current_user.id)
    form = ImportForm(formdata=None)
    form.period.choices = _period_choices()
    if kept is None:
        message = gettext("That upload is no longer available; upload the file again.")
        return _page(form, 404, notice=message)
    data, meta = kept
    try:
        plan = imports.prepare(meta["kind"], data, meta["filename"], meta["period"])
        imports.record(plan, current_user)
        db.session.commit()
    except TableError as error:
        db.session.rollback()
        drop_upload(token)
        return _page(form, 422, problems=error.problems, filename=meta["filename"])
    except IntegrityError:
        db.session.rollback()
        message = gettext("The data changed while the file was being applied; try again.")
        return _page(form, 409, notice=message)
    drop_upload(token)
    flash(
        gettext(
            "Import applied: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
        ),
        "success",
    )
    return redirect(url_for("simantap.import_file"))


@bp.route("/import/template/<kind>.<fmt>")
@permission_required("simantap.manage")
def import_template(kind: str, fmt: str) -> Response:
    """An empty file with exactly the headers of ``kind``."""
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    columns = COLUMNS[kind]
    if fmt == "csv":
        body, mimetype = template_csv(columns), "text/csv"
    else:
        body, mimetype = template_xlsx(columns), XLSX_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'},
    )
