"""``sikd archive ...`` commands."""

from __future__ import annotations

import click


@click.group("archive")
def archive_cli() -> None:
    """Records (SIKD) maintenance."""
