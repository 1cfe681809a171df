"""``sikd simantap`` commands: imports (being written)."""

from __future__ import annotations

from sikd_simantap.cli import simantap_cli  # noqa: F401
