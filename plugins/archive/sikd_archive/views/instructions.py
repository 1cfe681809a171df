"""The admin page of the disposition instructions: add, rename, reorder, deactivate, and
delete one that no disposition carries. Every change is a CSRF-protected POST, audited,
answered with a flash message and a redirect back to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, url_for
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from sikd_archive import instructions
from sikd_archive.views import ID, bp
from sikd_host.plugin_api import N_, Form, current_user, db, gettext, permission_required
from sikd_host.plugin_api import lazy_gettext as _l

MANAGE = "archive.manage"


class TextForm(Form):
    text = StringField(
        _l("Instruction"), validators=[DataRequired(), Length(max=instructions.MAX_CHARS)]
    )


class MoveForm(Form):
    direction = HiddenField(validators=[AnyOf(instructions.MOVES)])


class StateForm(Form):
    action = HiddenField(validators=[AnyOf(("activate", "deactivate"))])


class DeleteForm(Form):
    """The CSRF token is the whole form."""


@bp.route("/instruksi")
@permission_required(MANAGE)
def instruction_list() -> Any:
    rows = instructions.listed()
    return render_template(
        "archive/instructions.html",
        rows=rows,
        defaults=instructions.DEFAULT_INSTRUCTIONS if not rows else (),
        used=instructions.in_use([row.text for row in rows]),
        add=TextForm(formdata=None),
        rename=TextForm(formdata=None),
        move=MoveForm(formdata=None),
        state=StateForm(formdata=None),
        remove=DeleteForm(formdata=None),
    )


def _change(form: Form, change: Callable[[], str], done: str) -> Any:
    """Apply ``change`` (it returns the instruction's text) when the form validates; flash
    ``done`` or the refusal, and go back to the page."""
    back = url_for("archive.instruction_list")
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(str(messages[0]) if messages else gettext("Invalid data"), "danger")
        return redirect(back, 303)
    try:
        text = change()
    except instructions.InstructionError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return redirect(back, 303)
    db.session.commit()
    flash(gettext(done, text=text), "success")
    return redirect(back)


@bp.route("/instruksi", methods=["POST"])
@permission_required(MANAGE)
def instruction_add() -> Any:
    form = TextForm()
    return _change(
        form,
        lambda: instructions.add(current_user, form.text.data).text,
        N_("Instruction %(text)s added."),
    )


@bp.route(f"/instruksi/<{ID}:instruction_id>/ubah", methods=["POST"])
@permission_required(MANAGE)
def instruction_rename(instruction_id: int) -> Any:
    form = TextForm()
    return _change(
        form,
        lambda: instructions.rename(current_user, instruction_id, form.text.data).text,
        N_("Instruction renamed to %(text)s."),
    )


@bp.route(f"/instruksi/<{ID}:instruction_id>/pindah", methods=["POST"])
@permission_required(MANAGE)
def instruction_move(instruction_id: int) -> Any:
    form = MoveForm()
    return _change(
        form,
        lambda: instructions.move(current_user, instruction_id, form.direction.data).text,
        N_("Instruction %(text)s moved."),
    )


@bp.route(f"/instruksi/<{ID}:instruction_id>/status", methods=["POST"])
@permission_required(MANAGE)
def instruction_state(instruction_id: int) -> Any:
    form = StateForm()
    active = form.action.data == "activate"
    return _change(
        form,
        lambda: instructions.set_active(current_user, instruction_id, active).text,
        N_("Instruction %(text)s is offered again.")
        if active
        else N_("Instruction %(text)s is no longer offered."),
    )


@bp.route(f"/instruksi/<{ID}:instruction_id>/hapus", methods=["POST"])
@permission_required(MANAGE)
def instruction_delete(instruction_id: int) -> Any:
    return _change(
        DeleteForm(),
        lambda: instructions.delete(current_user, instruction_id),
        N_("Instruction %(text)s deleted."),
    )


@bp.route("/instruksi/bawaan", methods=["POST"])
@permission_required(MANAGE)
def instruction_defaults() -> Any:
    """Save the default list, so that it can be edited."""

    def save() -> str:
        instructions.save_defaults(current_user)
        return ""

    return _change(DeleteForm(), save, N_("The default list is saved; you can now change it."))
