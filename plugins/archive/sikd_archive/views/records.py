"""The naskah dinas register: list, register, show, edit, attach, download."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import and_, func, or_, select

from sikd_archive import access, disposition, recipients, records
from sikd_archive.forms import (
    KEAMANAN_LABELS,
    KIND_LABELS,
    SIFAT_LABELS,
    AttachmentForm,
    DispositionForm,
    HoldForm,
    RecordForm,
)
from sikd_archive.models import Attachment, Berkas, Change, Klasifikasi, Record
from sikd_archive.rules.params import MAX_PAGE
from sikd_archive.rules.register import EDITABLE, KINDS, SIFAT
from sikd_archive.views import (
    ID,
    bp,
    field_errors,
    int_arg,
    record_rows,
    translated,
    visible_record,
)
from sikd_host.plugin_api import (
    N_,
    Unit,
    User,
    audit,
    current_user,
    db,
    gettext,
    org,
    permission_required,
    plain_rows,
    storage,
)
from sikd_host.plugin_api import lazy_gettext as _l

PAGE_SIZE = 50


def _choices(form: RecordForm, record: Record | None = None) -> None:
    """The form's choices: every code, every unit, and the open berkas the user may see
    (plus the record's own berkas, so that editing never drops it)."""
    codes = db.session.execute(
        select(Klasifikasi.id, Klasifikasi.code, Klasifikasi.name).order_by(Klasifikasi.code)
    ).all()
    form.klasifikasi_id.choices = [(0, "-")] + [(i, f"{c} {n}") for i, c, n in codes]
    offered = and_(Berkas.closed_on.is_(None), access.berkas_visible(current_user))
    if record is not None and record.berkas_id is not None:
        offered = or_(offered, Berkas.id == record.berkas_id)
    open_berkas = db.session.execute(
        select(Berkas.id, Berkas.number, Berkas.title).where(offered).order_by(Berkas.number)
    ).all()
    form.berkas_id.choices = [(0, "-")] + [(i, f"{n} {t}") for i, n, t in open_berkas]
    form.unit_id.choices = org.unit_choices()


CODE_SECURITY = _l("As the classification code says (B when it says nothing)")


def _data(form: RecordForm) -> dict[str, Any]:
    data = {name: form[name].data for name in EDITABLE}
    for name in ("nomor", "perihal", "asal", "tujuan", "ringkasan"):
        data[name] = (data[name] or "").strip()
    data["klasifikasi_id"] = data["klasifikasi_id"] or None
    data["berkas_id"] = data["berkas_id"] or None
    return data


def _filters(statement: Any) -> tuple[Any, dict[str, str]]:
    args = {
        key: request.args.get(key, "").strip()
        for key in ("kind", "from", "to", "code", "unit", "sifat", "status")
    }
    if args["kind"] in KINDS:
        statement = statement.where(Record.kind == args["kind"])
    if args["sifat"] in SIFAT:
        statement = statement.where(Record.sifat == args["sifat"])
    if args["status"] in ("aktif", "inaktif", "musnah", "serah"):
        statement = statement.where(Record.status == args["status"])
    for key, compare in (("from", Record.tanggal.__ge__), ("to", Record.tanggal.__le__)):
        try:
            statement = statement.where(compare(dt.date.fromisoformat(args[key])))
        except ValueError:
            args[key] = ""
    if args["code"]:  # the statement holds the classification (``record_rows``)
        statement = statement.where(Klasifikasi.code.startswith(args["code"], autoescape=True))
    unit_id = int_arg("unit", message=N_("Unknown unit."))
    if unit_id is not None:
        statement = statement.where(Record.unit_id == unit_id)
    return statement, args


@bp.route("/naskah")
@permission_required("archive.use")
def records_list() -> Any:
    page = int_arg("page", 1, MAX_PAGE, N_("Not a valid page number."))
    statement, args = _filters(record_rows().where(access.visible(current_user)))
    rows = plain_rows(
        db.session.execute(
            statement.order_by(Record.tanggal.desc(), Record.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    return render_template(
        "archive/records.html",
        records=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        args=args,
        units=org.unit_choices(),
        kinds=translated(KIND_LABELS),
        sifat=translated(SIFAT_LABELS),
    )


bp.add_url_rule("/", "records", records_list)


@bp.route("/naskah/baru", methods=["GET", "POST"])
@permission_required("archive.register")
def record_new() -> Any:
    form = RecordForm()
    _choices(form)
    form.keamanan.choices = [("", CODE_SECURITY), *form.keamanan.choices]
    if request.method == "GET":
        form.keamanan.data = ""  # the code's default unless the clerk chooses
        form.tanggal.data = dt.date.today()
        if current_user.position:
            form.unit_id.data = current_user.position.unit_id
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            record = records.register(current_user, form.unit_id.data, _data(form))
            upload = form.file.data
            if upload and upload.filename:
                records.attach(current_user, record, upload.stream, upload.filename)
        except records.RecordError as error:
            db.session.rollback()
            field_errors(form, error.errors)
        except storage.StorageError as error:
            db.session.rollback()
            form.file.errors = [gettext(error.message, **error.params)]
            if isinstance(error, storage.StorageFull):
                status = error.status  # 507: the server's disk, not the user's input
        else:
            db.session.commit()
            flash(
                gettext("Registered with agenda number %(n)s.", n=record.agenda_number), "success"
            )
            return redirect(url_for("archive.record", record_id=record.id))
    return render_template("archive/record_form.html", form=form, record=None), status


@bp.route(f"/naskah/<{ID}:record_id>")
@permission_required("archive.use")
def record(record_id: int) -> Any:
    item = visible_record(record_id)
    page = record_page(item, DispositionForm(formdata=None))
    # audited once the page is made and before it is sent: committing first expired the
    # record and the user, which the page then read again (two queries more)
    audit.record(current_user, "archive.record_viewed", "archive_record", item.id)
    db.session.commit()
    return page


def record_page(
    item: Record, form: DispositionForm, status: int = 200, routing_error: str | None = None
) -> Any:
    """A record's page, with its routing form as given: blank, sent back with "Find", or
    refused (``routing_error``), keeping whatever was typed and chosen."""
    attachments = db.session.scalars(
        select(Attachment)
        .where(Attachment.record_id == item.id)
        .order_by(Attachment.name, Attachment.version.desc())
    ).all()
    changes = db.session.execute(
        select(Change, User.full_name)
        .join(User, Change.user_id == User.id, isouter=True)
        .where(Change.record_id == item.id)
        .order_by(Change.changed_at.desc())
    ).all()
    offer = routing_choices(form, item)
    return render_template(
        "archive/record.html",
        record=item,
        attachments=attachments,
        changes=changes,
        tree=disposition.tracking_tree(item),
        form=form,
        offer=offer,
        routing_error=routing_error,
        upload=AttachmentForm(),
        hold=_hold_form(item),
        kinds=KIND_LABELS,
        sifat=SIFAT_LABELS,
        keamanan=KEAMANAN_LABELS,
        today=dt.date.today(),
        unit=db.session.get(Unit, item.unit_id),
    ), status


def _hold_form(item: Record) -> HoldForm:
    """The hold form says what it will do: lift a hold that is set, set one that is not."""
    form = HoldForm(formdata=None)
    form.action.data = "lift" if item.legal_hold else "set"
    return form


def routing_choices(form: Any, item: Record | None, kind: str | None = None) -> recipients.Offer:
    """Fill a routing form's choices for showing it and say whom it offers: the people its
    search text finds (or everyone allowed, when few), after those already chosen in a form
    sent back.

    ``kind`` fixes the routing (teruskan, on the action form, where the instruction is
    optional and "-" comes first); otherwise it is the form's, and someone with nobody
    below them may send only a tembusan, shown chosen."""
    _instruction_choices(form, optional=kind is not None)
    query = form.recipient_search.data or ""
    if kind is None:
        kind = form.kind.data if form.kind.data in ("disposisi", "tembusan") else "disposisi"
        offer = recipients.offer(current_user, kind, item, query)
        if kind == "disposisi" and not offer.anyone:
            kind = _tembusan_only(form)
            offer = recipients.offer(current_user, kind, item, query)
        form.kind.data = kind
    else:
        offer = recipients.offer(current_user, kind, item, query)
    form.recipient_search.data = offer.query  # as searched: spaces closed up
    kept = recipients.chosen(current_user, kind, request.form.getlist("recipients"), item)
    shown = {user_id for user_id, _label in kept}
    form.recipients.choices = kept + [c for c in offer.choices if c[0] not in shown]
    return offer


def sending_choices(form: Any, fixed_kind: bool = False) -> None:
    """Fill the choices a routing form being sent is validated against: the instructions,
    the routings (a tembusan only, for someone with nobody below them) and anyone active it
    names; ``disposition.send`` refuses, with its reason, whoever the routing may not
    reach. Nobody is listed: the form is not shown."""
    _instruction_choices(form, optional=fixed_kind)
    sends_disposisi = not fixed_kind and form.kind.data == "disposisi"
    if sends_disposisi and not recipients.anyone(current_user, "disposisi"):
        _tembusan_only(form)
    form.recipients.choices = recipients.named(request.form.getlist("recipients"))


def _instruction_choices(form: Any, optional: bool) -> None:
    form.instruction.choices = [
        *([("", "-")] if optional else []),
        *[(i, i) for i in disposition.instructions()],
    ]


def _tembusan_only(form: Any) -> str:
    form.kind.choices = [c for c in form.kind.choices if c[0] == "tembusan"]
    return "tembusan"


@bp.route(f"/naskah/<{ID}:record_id>/ubah", methods=["GET", "POST"])
@permission_required("archive.register")
def record_edit(record_id: int) -> Any:
    item = visible_record(record_id)
    form = RecordForm(obj=item)
    _choices(form, item)
    if request.method == "GET":
        form.klasifikasi_id.data = item.klasifikasi_id or 0
        form.berkas_id.data = item.berkas_id or 0
    if form.validate_on_submit():
        try:
            changes = records.edit(current_user, item, _data(form))
        except records.RecordError as error:
            db.session.rollback()
            field_errors(form, error.errors)
        else:
            db.session.commit()
            flash(gettext("%(n)s field(s) changed.", n=len(changes)), "success")
            return redirect(url_for("archive.record", record_id=item.id))
    status = 422 if request.method == "POST" else 200
    return render_template("archive/record_form.html", form=form, record=item), status


@bp.route(f"/naskah/<{ID}:record_id>/lampiran", methods=["POST"])
@permission_required("archive.register")
def attachment_add(record_id: int) -> Any:
    item = visible_record(record_id)
    form = AttachmentForm()
    upload = form.file.data
    if not form.validate_on_submit() or not upload or not upload.filename:
        flash(gettext("Choose a file to upload."), "danger")
        return redirect(url_for("archive.record", record_id=item.id)), 303
    try:
        attachment = records.attach(current_user, item, upload.stream, upload.filename)
    except records.RecordError as error:
        db.session.rollback()
        flash(gettext(next(iter(error.errors.values()))), "danger")
        return redirect(url_for("archive.record", record_id=item.id)), 303
    except storage.StorageError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return redirect(url_for("archive.record", record_id=item.id)), 303
    db.session.commit()
    flash(
        gettext("%(name)s saved as version %(v)s.", name=attachment.name, v=attachment.version),
        "success",
    )
    return redirect(url_for("archive.record", record_id=item.id))


@bp.route(f"/lampiran/<{ID}:attachment_id>")
@permission_required("archive.use")
def download(attachment_id: int) -> Any:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.sha256 is None:
        from flask import abort

        abort(404)
    item = visible_record(attachment.record_id)
    audit.record(
        current_user,
        "archive.attachment_downloaded",
        "archive_record",
        item.id,
        {"attachment": attachment.id, "name": attachment.name, "version": attachment.version},
    )
    db.session.commit()
    return storage.send_blob(attachment.sha256, attachment.name, attachment.mimetype)


@bp.route(f"/naskah/<{ID}:record_id>/legal-hold", methods=["POST"])
@permission_required("archive.legal_hold")
def legal_hold(record_id: int) -> Any:
    item = visible_record(record_id)
    form = HoldForm()
    back = redirect(url_for("archive.record", record_id=item.id), 303)
    if not form.validate_on_submit():
        if form.action.errors:
            flash(gettext("Say whether to set or lift the legal hold."), "danger")
        else:
            flash(gettext("Write the reason."), "danger")
        return back
    hold = form.action.data == "set"
    try:
        records.set_legal_hold(current_user, item, hold, form.reason.data)
    except records.RecordError as error:
        db.session.rollback()
        flash(gettext(next(iter(error.errors.values()))), "danger")
        return back
    db.session.commit()
    flash(gettext("Legal hold set.") if hold else gettext("Legal hold lifted."), "success")
    return redirect(url_for("archive.record", record_id=item.id))


def record_count(user: Any) -> int:
    return (
        db.session.scalar(select(func.count()).select_from(Record).where(access.visible(user))) or 0
    )
