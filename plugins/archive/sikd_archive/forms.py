"""Forms of the archive pages."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from sikd_archive.rules.register import KEAMANAN, KINDS, MEDIA, SIFAT, TINGKAT
from sikd_host.plugin_api import Form, MultiCheckboxField
from sikd_host.plugin_api import lazy_gettext as _l

HOLD_ACTIONS = ("set", "lift")
KIND_LABELS = {
    "surat_masuk": _l("Incoming letter (surat masuk)"),
    "surat_keluar": _l("Outgoing letter (surat keluar)"),
    "nota_dinas": _l("Nota dinas"),
    "surat_edaran": _l("Surat edaran"),
    "surat_undangan": _l("Invitation (surat undangan)"),
    "surat_keputusan": _l("Decree (surat keputusan)"),
    "memo": _l("Memo"),
}
SIFAT_LABELS = {"biasa": _l("Biasa"), "segera": _l("Segera"), "sangat_segera": _l("Sangat segera")}
KEAMANAN_LABELS = {
    "B": _l("B - Biasa/Terbuka"),
    "T": _l("T - Terbatas"),
    "R": _l("R - Rahasia"),
    "SR": _l("SR - Sangat Rahasia"),
}


class RecordForm(Form):
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    nomor = StringField(_l("Number (nomor)"), validators=[DataRequired(), Length(max=120)])
    tanggal = DateField(_l("Date"), validators=[DataRequired()])
    perihal = StringField(_l("Subject (perihal)"), validators=[DataRequired(), Length(max=500)])
    asal = StringField(_l("From (asal)"), validators=[Optional(), Length(max=300)])
    tujuan = StringField(_l("To (tujuan)"), validators=[Optional(), Length(max=300)])
    ringkasan = TextAreaField(_l("Summary (ringkasan)"), validators=[Optional(), Length(max=10000)])
    klasifikasi_id = SelectField(_l("Classification code"), coerce=int, validators=[Optional()])
    sifat = SelectField(_l("Urgency (sifat)"), choices=[(s, SIFAT_LABELS[s]) for s in SIFAT])
    keamanan = SelectField(
        _l("Security class"), choices=[(k, KEAMANAN_LABELS[k]) for k in KEAMANAN]
    )
    tingkat = SelectField(_l("Tingkat perkembangan"), choices=[(t, t) for t in TINGKAT])
    media = SelectField(_l("Media"), choices=[(m, m) for m in MEDIA])
    berkas_id = SelectField(_l("Case file (berkas)"), coerce=int, validators=[Optional()])
    unit_id = SelectField(_l("Owning unit (unit pengolah)"), coerce=int)
    file = FileField(_l("Attachment (optional)"))


class AttachmentForm(Form):
    file = FileField(_l("File"), validators=[DataRequired()])


class DispositionForm(Form):
    kind = SelectField(
        _l("Routing"), choices=[("disposisi", _l("Disposisi")), ("tembusan", _l("Tembusan (copy)"))]
    )
    recipient_search = StringField(_l("Find recipients"), validators=[Optional(), Length(max=100)])
    recipients = MultiCheckboxField(_l("Recipients"), coerce=int, validators=[DataRequired()])
    instruction = SelectField(_l("Instruction"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    due_on = DateField(_l("Due date"), validators=[Optional()])


class ActionForm(Form):
    action = SelectField(
        _l("Action"),
        choices=[
            ("balasan", _l("Reply")),
            ("teruskan", _l("Forward")),
            ("selesai", _l("Mark done")),
        ],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    recipient_search = StringField(_l("Find recipients"), validators=[Optional(), Length(max=100)])
    recipients = MultiCheckboxField(_l("Forward to"), coerce=int, validators=[Optional()])
    instruction = SelectField(_l("Instruction"), validators=[Optional()])
    due_on = DateField(_l("Due date"), validators=[Optional()])


class BerkasForm(Form):
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=60)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    klasifikasi_id = SelectField(_l("Classification code"), coerce=int, validators=[Optional()])
    unit_id = SelectField(_l("Unit"), coerce=int)
    opened_on = DateField(_l("Opened on"), validators=[DataRequired()])


class CloseBerkasForm(Form):
    closed_on = DateField(_l("Closed on"), validators=[DataRequired()])


class ImportForm(Form):
    file = FileField(_l("File (CSV or XLSX)"), validators=[DataRequired()])


class HoldForm(Form):
    """Set or lift, said explicitly: a resubmitted form must never undo what it did."""

    action = HiddenField(validators=[AnyOf(HOLD_ACTIONS)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
