"""Helpers for the Simantap tests (import as ``from simantap_helpers import ...``)."""

from sikd_host.testing import log_in


def client_for(app, username):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client
