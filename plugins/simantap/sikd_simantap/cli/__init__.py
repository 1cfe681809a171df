"""``sikd simantap ...`` commands, one module per concern."""

from __future__ import annotations

import click


@click.group("simantap")
def simantap_cli() -> None:
    """Talent management: imports, periods, scoring runs, exports."""


from sikd_simantap.cli import imports, periods, scoring, succession, units  # noqa: E402, F401
