def test_pages_render_for_admin(client, login_as):
    login_as("admin")
    for url in [
        "/",
        "/profile",
        "/admin/users",
        "/admin/users/new",
        "/admin/roles",
        "/admin/roles/new",
        "/admin/org/units",
        "/admin/org/units/new",
        "/admin/org/positions",
        "/admin/org/positions/new",
        "/admin/org/import",
        "/admin/audit/",
        "/admin/audit/export.csv",
        "/account/password",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:3000])
