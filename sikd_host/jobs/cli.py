"""``sikd worker``: run the jobs queued on Redis, in this process."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run queued jobs (scoring runs, reindexing, storage checks) until stopped."""
    from sikd_host.jobs import queue

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "SIKD_REDIS_URL is not set: without Redis, jobs run inline and need no worker."
        )
    click.echo(f"Worker on queue {queue.queue_name()} at {current_app.config['REDIS_URL']}")
    queue.work(burst=burst)
