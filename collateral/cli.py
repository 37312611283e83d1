"""Command-line tasks: `flask --app wsgi <command>`. Each fails with a one-line reason."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from .errors import ServiceError
from .models import ROLES
from .search_index import IndexBusy
from .services import (
    accounts,
    backup,
    bulk_import,
    consistency,
    demo,
    import_plan,
    indexing,
    page_images,
    setup,
    thumbnails,
)


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
@click.option("--role", required=True, type=click.Choice(ROLES))
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
    """Rebuild the whole index into a fresh folder, swap it in; make missing thumbnails."""
    count = indexing.rebuild_index()
    click.echo(f"Indexed {count} assets.")
    made = thumbnails.make_missing_thumbnails()
    click.echo(f"Made {made} missing thumbnails.")
    page_images.mark_owed()
    queued = page_images.requeue_pending(grace=timedelta(0))
    click.echo(f"Queued {queued} page image jobs.")


@click.command("index-sync")
@with_appcontext
def index_sync_command() -> None:
    """Apply the change-log rows this node's index has not applied yet."""
    applied = indexing.apply_pending_index_updates(rounds=1_000_000, rebuild=True)
    left = indexing.pending_index_updates()
    if left:
        raise click.ClickException(f"Applied {applied}; {left} still pending (index busy).")
    click.echo(f"Applied {applied} pending index updates.")


@click.command("optimize")
@with_appcontext
def optimize_command() -> None:
    """Merge the search index's segments into one (run it nightly on a busy library)."""
    try:
        indexing.optimize_index()
    except IndexBusy as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Merged the search index into one segment.")


@click.command("check")
@click.option("--repair", is_flag=True, help="Mend what can be mended, then check again.")
@with_appcontext
def check_command(repair: bool) -> None:
    """Report (and with --repair mend) disagreements between database, blob store and index."""
    result = consistency.check_library()
    for finding in result.findings:
        click.echo(finding.line())
    if repair and any(finding.repairable for finding in result.findings):
        for line in consistency.repair_library(result):
            click.echo(f"repaired: {line}")
        result = consistency.check_library()
        click.echo("Checked again after the repair:")
        for finding in result.findings:
            click.echo(finding.line())
    click.echo(result.summary())
    if result.findings:
        count = len(result.findings)
        raise click.ClickException(
            f"{count} disagreement{'s' if count != 1 else ''} between database, blob store "
            "and index" + ("." if repair else "; run `check --repair` to mend what can be.")
        )


@click.command("backup")
@click.argument("dest", metavar="DEST", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Write a consistent snapshot (database, blobs, manifest) into DEST, a new or empty folder."""
    try:
        report = backup.backup_library(dest)
    except ServiceError as exc:
        _fail(exc)
    missing = (
        f"; {report.missing_thumbnails} thumbnails to redraw" if report.missing_thumbnails else ""
    )
    click.echo(
        f"Backed up the database and {report.blobs} blobs ({report.bytes} bytes) to "
        f"{dest}{missing}."
    )


@click.command("restore")
@click.argument("src", metavar="SRC", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a library that is not empty.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Bring back a backup made by `backup` (hashes checked first), then rebuild the index."""
    try:
        report = backup.restore_library(src, force=force)
    except ServiceError as exc:
        _fail(exc)
    click.echo(
        f"Restored the database and {report.blobs} blobs from {src} (removed "
        f"{report.removed_blobs} blobs it does not name); indexed {report.indexed} assets; drew "
        f"{report.thumbnails} missing thumbnails."
    )


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


@click.command("import")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--manifest", type=click.Path(path_type=Path), help="CSV: `file` + asset fields.")
@click.option("--as", "as_email", metavar="EMAIL", help="Uploader and owner [first admin].")
@click.option("--processes", type=click.IntRange(1, 32), default=2, show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@with_appcontext
def import_command(
    folder: Path, manifest: Path | None, as_email: str | None, processes: int, no_progress: bool
) -> None:
    """Import every file under DIR as a new asset; files already stored are skipped."""
    try:
        user = import_plan.importing_user(as_email)
        plan = import_plan.plan_import(folder, manifest, user)
    except ServiceError as exc:
        _fail(exc)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(
            f"Database: {reason} (a new one needs `flask init-db`)."
        ) from exc
    failed = 0
    with tqdm(total=len(plan.files), unit="file", disable=no_progress, file=sys.stderr) as bar:

        def advance(outcome: import_plan.Outcome) -> None:
            nonlocal failed
            if outcome.status == "failed":
                failed += 1
                bar.set_postfix_str(f"{failed} failed", refresh=False)
            bar.update(1)

        try:
            report = bulk_import.run_import(plan, user, processes=processes, on_progress=advance)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise click.ClickException(
                f"Database: {reason}; run the import again to resume."
            ) from exc
    for line in report.summary_lines():
        click.echo(line)
    if report.interrupted:
        raise click.ClickException("Interrupted; run the same command again to resume.")
    if failures := len(report.with_status("failed")):
        plural = "s" if failures != 1 else ""
        raise click.ClickException(f"{failures} file{plural} failed (listed above).")


@click.command("version")
def version_command() -> None:
    """Print the release of collateral this is (the CHANGELOG.md entry to read)."""
    from .version import __version__

    click.echo(f"collateral {__version__}")


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at once.")
@with_appcontext
def worker_command(threads: int) -> None:
    """Run the background jobs (page images) here until stopped, instead of in web processes.

    Set COLLATERAL_JOBS_IN_WEB=false for the web processes when a worker runs.
    """
    from flask import current_app

    jobs = current_app.extensions["collateral.jobs"]
    click.echo(f"Jobs owed and queued again: {jobs.sweep()}")
    jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=True).run()


def init_app(app: Flask) -> None:
    for command in (
        init_db_command,
        create_user_command,
        create_token_command,
        reindex_command,
        index_sync_command,
        optimize_command,
        check_command,
        backup_command,
        restore_command,
        demo_command,
        import_command,
        version_command,
        worker_command,
    ):
        app.cli.add_command(command)
