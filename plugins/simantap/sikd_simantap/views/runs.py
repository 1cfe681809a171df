"""Scoring runs (simantap.manage): list a period's runs, run, publish (a reason is required
to supersede the published run), compare two runs, and the what-if of a draft profile."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from sikd_host.plugin_api import N_, current_user, db, gettext, jobs, permission_required
from sikd_simantap import runs
from sikd_simantap.jobs import score as score_job
from sikd_simantap.models import Period, Run
from sikd_simantap.scoring import mapping
from sikd_simantap.scoring import profile as profiles
from sikd_simantap.views import bp
from sikd_simantap.views.ninebox import MAX_INT


def _message(error: runs.RunError) -> str:
    return gettext(error.message, **error.params)


def _periods() -> list[Period]:
    return list(db.session.scalars(select(Period).order_by(Period.ends_on.desc())))


def _period_arg(value: str | None) -> Period | None:
    if not value:
        return None
    return db.session.scalar(select(Period).where(Period.code == value.strip()))


@bp.route("/runs")
@permission_required("simantap.manage")
def runs_page() -> Any:
    periods = _periods()
    code = request.args.get("period")
    period = _period_arg(code) if code else (periods[0] if periods else None)
    if code and period is None:
        flash(gettext("There is no period %(code)s.", code=code), "danger")
        return render_template("simantap/runs.html", periods=periods, period=None, items=[]), 404
    items = runs.runs_of(period.id) if period else []
    return render_template("simantap/runs.html", periods=periods, period=period, items=items)


@bp.route("/runs/score", methods=["POST"])
@permission_required("simantap.manage")
def run_score() -> Any:
    period = _period_arg(request.form.get("period"))
    if period is None:
        flash(gettext("Choose a period."), "danger")
        return redirect(url_for("simantap.runs_page")), 303
    try:
        job = jobs.submit(
            score_job,
            title=N_("Scoring run of period %(code)s"),
            user=current_user,
            params={"period_id": period.id, "user_id": current_user.id},
            key=f"simantap.score:{period.id}",
            code=period.code,
        )
    except jobs.JobBusy as busy:
        flash(gettext("A scoring run of this period is already under way."), "warning")
        return redirect(url_for("jobs.show", job_id=busy.job.id)), 303
    if job.status == "failed":
        flash(jobs.error_text(job), "danger")
        return redirect(url_for("simantap.runs_page", period=period.code)), 303
    if job.status == "done" and job.result_link:  # ran inline: straight to the run
        flash(gettext("The scoring run is done."), "success")
        return redirect(job.result_link), 303
    return redirect(url_for("jobs.show", job_id=job.id)), 303


def _run_or_404(run_id: int) -> Run:
    run = db.session.get(Run, run_id)
    if run is None:
        abort(404)
    return run


@bp.route("/runs/<int:run_id>")
@permission_required("simantap.manage")
def run_detail(run_id: int) -> Any:
    run = _run_or_404(run_id)
    boxes = runs.box_map(run.id)
    counts: dict[Any, int] = {}
    for box in boxes.values():
        counts[box] = counts.get(box, 0) + 1
    current = runs.published_run(run.period_id)
    return render_template(
        "simantap/run.html",
        run=run,
        counts=counts,
        current=current,
        others=[r for r in runs.runs_of(run.period_id) if r.id != run.id and r.status == "done"],
        indicator_labels=profiles.INDICATORS,
    )


@bp.route("/runs/<int:run_id>/publish", methods=["POST"])
@permission_required("simantap.manage")
def run_publish(run_id: int) -> Any:
    run = _run_or_404(run_id)
    try:
        runs.publish(run, current_user, request.form.get("reason", ""))
    except runs.RunError as error:
        db.session.rollback()
        flash(_message(error), "danger")
        return redirect(url_for("simantap.run_detail", run_id=run_id)), 303
    flash(gettext("Run %(id)s is published.", id=run.id), "success")
    return redirect(url_for("simantap.run_detail", run_id=run_id)), 303


@bp.route("/runs/compare")
@permission_required("simantap.manage")
def run_compare() -> Any:
    a, b = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    if not all(raw.isascii() and raw.isdigit() for raw in (a, b)):  # int("²") fails
        flash(gettext("Choose two runs to compare."), "danger")
        return redirect(url_for("simantap.runs_page")), 303
    if max(len(a), len(b)) > 10 or max(int(a), int(b)) > MAX_INT:
        abort(404)  # no run has an id no database integer holds
    run_a, run_b = _run_or_404(int(a)), _run_or_404(int(b))
    if run_a.status != "done" or run_b.status != "done":
        abort(404)
    comparison = runs.compare(run_a, run_b)
    return render_template(
        "simantap/run_compare.html",
        c=comparison,
        band_labels=mapping.BAND_LABELS,
        indicator_labels=profiles.INDICATORS,
    )


# --- what-if -----------------------------------------------------------------------------


def _number(raw: Any, field: str, errors: dict[str, str], whole: bool = False) -> Any:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return raw
    text = str(raw or "").strip().replace(",", ".")
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        errors[field] = gettext("Enter a whole number.") if whole else gettext("Enter a number.")
        return None
    return value


def draft_from_form(form: Any, base: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A draft profile from the what-if form: empty weight fields leave the indicator out."""
    errors: dict[str, str] = {}
    draft: dict[str, Any] = {"weights": {}, "bands": {}, "groups": {}}
    for axis in profiles.AXES:
        weights = {}
        for indicator in profiles.INDICATORS:
            field = f"weights.{axis}.{indicator}"
            raw = (form.get(field) or "").strip()
            if raw:
                value = _number(raw, field, errors)
                if value is not None:
                    weights[indicator] = value
        draft["weights"][axis] = weights
        draft["bands"][axis] = [
            _number(form.get(f"bands.{axis}.{end}"), f"bands.{axis}", errors)
            for end in ("low", "high")
        ]
    for relation in ("atasan", "rekan", "bawahan", "diri"):
        field = f"groups.{relation}"
        value = _number(form.get(field, base["groups"].get(relation, 0)), field, errors)
        draft["groups"][relation] = value
    draft["k"] = _number(form.get("k", base["k"]), "k", errors, whole=True)
    draft["coverage_min"] = _number(
        form.get("coverage_min", base["coverage_min"]), "coverage_min", errors
    )
    return draft, errors


def _translated(errors: dict[str, str]) -> dict[str, str]:
    return {field: gettext(message) for field, message in errors.items()}


@bp.route("/whatif", methods=["GET", "POST"])
@permission_required("simantap.manage")
def what_if() -> Any:
    """Draft profile -> how many employees would move between boxes vs the published run.

    GET shows the form (``?period=CODE``, prefilled with the period's profile); POST takes
    the form fields, or JSON ``{"period": "2026", "profile": {...}}`` (answered in JSON).
    Nothing is saved.
    """
    wants_json = request.is_json
    payload = request.get_json(silent=True) if wants_json else None
    if wants_json and not isinstance(payload, dict):
        return jsonify(error=gettext("Send a JSON object with period and profile.")), 400
    source = payload if wants_json else (request.form if request.method == "POST" else request.args)
    periods = _periods()
    code = source.get("period") if source else None
    period = _period_arg(str(code)) if code else (periods[0] if periods else None)
    if period is None:
        message = gettext("Choose an existing period.")
        if wants_json:
            return jsonify(error=message), 404
        flash(message, "danger")
        return render_template("simantap/whatif.html", periods=periods, period=None), 404
    base = period.profile
    errors: dict[str, str] = {}
    outcome = None
    draft = base
    if request.method == "POST":
        if wants_json:
            draft = payload.get("profile")
            if not isinstance(draft, dict):
                return jsonify(error=gettext("Send the draft profile as an object.")), 400
        else:
            draft, errors = draft_from_form(request.form, base)
        if not errors:
            try:
                outcome = runs.what_if(period, draft)
            except runs.RunError as error:
                errors = _translated(error.errors) or {"": _message(error)}
                if not error.errors:
                    errors = {"": _message(error)}
        if wants_json:
            if errors:
                status = 409 if "" in errors else 422
                return jsonify(errors=errors), status
            return jsonify(
                period=period.code,
                run=outcome.run.id,
                compared=outcome.compared,
                moved=outcome.moved,
                moves=[
                    {"from": before, "to": after, "employees": n}
                    for (before, after), n in sorted(
                        outcome.moves.items(), key=lambda item: (-item[1], str(item[0]))
                    )
                ],
                before={str(k): v for k, v in outcome.before.items()},
                after={str(k): v for k, v in outcome.after.items()},
            )
    status = 200 if not errors else (409 if "" in errors else 422)
    return render_template(
        "simantap/whatif.html",
        periods=periods,
        period=period,
        draft=draft,
        errors=errors,
        outcome=outcome,
        indicators=profiles.INDICATORS,
        axes=profiles.AXES,
    ), status
