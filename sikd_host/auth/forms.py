"""Login and self-service forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from sikd_host.auth.passwords import password_problem
from sikd_host.forms import Form as FlaskForm


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def strong_password(_form: FlaskForm, field: PasswordField) -> None:
    from flask_babel import gettext

    problem = password_problem(field.data or "")
    if problem:
        message, params = problem
        raise ValidationError(gettext(message, **params))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=200), strong_password]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords do not match."))],
    )


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[("id", "Bahasa Indonesia"), ("en", "English")])
