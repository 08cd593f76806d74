"""`undersign db`: database schema migrations."""

from __future__ import annotations

import click

from undersign.entrypoints.cli.common import emit, json_option, load_settings


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@json_option
def db_upgrade(revision: str, as_json: bool) -> None:
    """Apply migrations up to REVISION."""
    from undersign.adapters.sql import migrate

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)
    current = migrate.current(settings.database_url)
    emit(as_json, {"revision": current}, f"database at revision {current}")


@db.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
@json_option
def db_downgrade(revision: str, as_json: bool) -> None:
    """Undo migrations down to REVISION (one step by default)."""
    from undersign.adapters.sql import migrate

    settings = load_settings()
    migrate.downgrade(settings.database_url, revision)
    current = migrate.current(settings.database_url)
    emit(as_json, {"revision": current}, f"database at revision {current}")
