"""Forms for units, positions and the organisation import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from sikd_host.forms import Form as FlaskForm
from sikd_host.org.ranks import ESELON, JENJANG, POSITION_KINDS


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("Parent unit"), coerce=int, validators=[Optional()])


class PositionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[(k, k) for k in POSITION_KINDS])
    eselon = SelectField(_l("Eselon"), choices=[("", "-")] + [(e, e) for e in ESELON])
    jenjang = SelectField(_l("Jenjang"), choices=[("", "-")] + [(j, j) for j in JENJANG])
    superior_id = SelectField(_l("Superior position"), coerce=int, validators=[Optional()])
    critical = BooleanField(_l("Critical position"))


class ImportForm(FlaskForm):
    kind = SelectField(
        _l("What to import"), choices=[("units", _l("Units")), ("positions", _l("Positions"))]
    )
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])
