"""The collateral library: a self-hosted sales collateral service."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .config import PROJECT_ROOT, finish_config, load_settings

# The release this code is; pyproject.toml and CHANGELOG.md name the same (tests/test_version.py).
from .version import __version__

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["__version__", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then COLLATERAL_* environment, then `config` (tests)."""
    # Imported here so the reading child process (python -m collateral.upload_reading) stays light.
    from flask import Flask

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=(config or {}).get("INSTANCE_PATH")
        or os.environ.get("COLLATERAL_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_settings())
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    finish_config(app.config, app.instance_path)
    from .services.attention import parse_required_fields

    parse_required_fields(str(app.config["REQUIRED_FIELDS"]))  # a bad setting stops start-up

    from . import cli, template_filters, web
    from .api import api_bp
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .search_index import SearchIndex
    from .storage import open_blob_store
    from .views import register_views

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["collateral.blob_store"] = open_blob_store(
        str(app.config["BLOB_URL"]),
        upload_root=app.config["UPLOAD_ROOT"],
        temp_root=app.config["BLOB_TEMP_ROOT"],
        endpoint_url=str(app.config["S3_ENDPOINT_URL"]),
    )
    app.extensions["collateral.search_index"] = SearchIndex(app.config["INDEX_ROOT"])
    web.init_app(app)
    template_filters.init_app(app)
    app.register_blueprint(api_bp)
    register_views(app)
    cli.init_app(app)
    app.jinja_env.globals["collateral_version"] = __version__
    _init_jobs(app)
    from . import index_follower

    index_follower.init_app(app)
    return app


def _init_jobs(app: Flask) -> None:
    """The background queue and its jobs: page images, drawn after each upload; the mail that
    tells a link's sender it was opened; the sweep that tells users an asset they used has
    expired; the daily digest of unread notifications."""
    from . import jobs
    from .services import alerts, digest, page_images, share_mail

    queue = jobs.init_app(app)
    queue.register(page_images.JOB, page_images.render_version, retries=3, retry_delay=10)
    queue.sweepers.append(page_images.requeue_pending)
    queue.register(share_mail.JOB, share_mail.mail_job, retries=3, retry_delay=10)
    queue.sweepers.append(share_mail.requeue_unsent_mail)
    queue.sweepers.append(alerts.notify_expired_assets)
    queue.register(digest.JOB, digest.digest_job, retries=3, retry_delay=60)
    queue.sweepers.append(digest.queue_due_digests)
