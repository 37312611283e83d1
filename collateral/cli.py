"""Command-line tasks: `flask --app wsgi <command>`. Each fails with a one-line reason."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from .errors import ServiceError
from .services import accounts, demo, indexing, setup


def _fail(exc: ServiceError) -> None:
    raise click.ClickException(exc.message)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and the index; seed default stages and content types."""
    added = setup.init_database()
    click.echo(f"Database and index ready ({added} default terms added).")


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["rep", "marketer", "manager", "admin"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
@with_appcontext
def create_user_command(email: str, role: str, password: str, name: str) -> None:
    """Add a user."""
    try:
        user = accounts.create_user(email, role, password, name)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.email} ({user.role}).")


@click.command("create-token")
@click.argument("email")
@click.option("--label", default="cli")
@with_appcontext
def create_token_command(email: str, label: str) -> None:
    """Print a new API token for a user (shown once; only its hash is kept)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    click.echo(accounts.create_api_token(user, label))


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the whole index from the database into a fresh folder, then swap it in."""
    count = indexing.rebuild_index()
    click.echo(f"Indexed {count} assets.")


@click.command("index-sync")
@with_appcontext
def index_sync_command() -> None:
    """Apply index updates still pending in the outbox."""
    applied = indexing.apply_pending_index_updates(rounds=1_000_000)
    left = indexing.pending_index_updates()
    if left:
        raise click.ClickException(f"Applied {applied}; {left} still pending (index busy).")
    click.echo(f"Applied {applied} pending index updates.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo users and demo collateral so a newcomer sees a working library."""
    setup.init_database()
    with tempfile.TemporaryDirectory() as folder:
        report = demo.load_demo(Path(folder))
    click.echo(f"Demo collateral: {report.added} added, {report.skipped} already there.")
    click.echo("Demo sign-ins (email / password):")
    for email, role, password in report.logins:
        click.echo(f"  {role:<9} {email:<24} {password}")


def init_app(app: Flask) -> None:
    for command in (
        init_db_command,
        create_user_command,
        create_token_command,
        reindex_command,
        index_sync_command,
        demo_command,
    ):
        app.cli.add_command(command)
