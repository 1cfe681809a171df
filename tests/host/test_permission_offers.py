"""A plugin permission is ticked on the roles it suggests the first time it is met, by
enabling, by sikd init or by sikd db upgrade after an upgrade brought it, and never again:
what an admin unticks stays unticked."""

from sqlalchemy import delete, select

from sikd_host.auth.models import Role, RolePermission, SeenPermission
from sikd_host.extensions import db


def sdm_has(app, permission):
    with app.app_context():
        role_id = db.session.scalar(select(Role.id).where(Role.name == "sdm"))
        return db.session.get(RolePermission, (role_id, permission)) is not None


def test_a_new_permission_reaches_its_roles_once(app, runner):
    permission = "simantap.succession"
    assert sdm_has(app, permission)
    with app.app_context():  # as if the installed Simantap had not declared it yet
        db.session.execute(delete(RolePermission).where(RolePermission.permission == permission))
        db.session.execute(delete(SeenPermission).where(SeenPermission.name == permission))
        db.session.commit()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"role sdm: new permissions ticked: {permission}" in upgraded.output
    assert sdm_has(app, permission)
    with app.app_context():  # the admin unticks it
        db.session.execute(delete(RolePermission).where(RolePermission.permission == permission))
        db.session.commit()
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0 and "new permissions ticked" not in again.output
    assert not sdm_has(app, permission)
