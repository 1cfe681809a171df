"""SIKD host: the records portal's core and its plugin system."""

__version__ = "0.1.0"


def create_app(config=None):  # noqa: ANN001, ANN201 - re-exported from sikd_host.app
    """Build the Flask application; ``config`` overrides every other settings layer."""
    from sikd_host.app import create_app as _create_app

    return _create_app(config)
