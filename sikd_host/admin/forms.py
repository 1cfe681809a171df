"""Forms for users and roles."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from sikd_host.auth.forms import strong_password
from sikd_host.forms import Form as FlaskForm
from sikd_host.forms import MultiCheckboxField
from sikd_host.org.nip import NIPError, parse_nip


def valid_nip(_form: FlaskForm, field: StringField) -> None:
    if field.data and field.data.strip():
        try:
            field.data = parse_nip(field.data).digits
        except NIPError as error:
            raise ValidationError(gettext(error.message)) from None


# \Z, not $: a name must not end in a newline (the session reads role names joined by one)
USERNAME = Regexp(
    r"^[A-Za-z0-9._-]+\Z", message=_l("Use letters, digits, dot, dash or underscore.")
)


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80), USERNAME])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=200)])
    nip = StringField(_l("NIP"), validators=[Optional(), valid_nip])
    position_id = SelectField(_l("Position"), coerce=int, validators=[Optional()])
    roles = MultiCheckboxField(_l("Roles"), coerce=int)
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), strong_password])


class RoleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=40), USERNAME])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    permissions = MultiCheckboxField(_l("Permissions"))
