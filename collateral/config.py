"""Settings: defaults, then COLLATERAL_* environment variables, then the mapping passed in."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from .booleans import parse_bool

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each default can be overridden by an environment variable named COLLATERAL_<KEY>.
DEFAULTS: dict[str, object] = {
    "DATABASE_URL": "",  # empty: SQLite file in the instance folder
    "UPLOAD_ROOT": str(PROJECT_ROOT / "uploads"),
    # Where blobs live: empty for UPLOAD_ROOT, s3://BUCKET[/PREFIX] for an S3-compatible bucket
    # (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), file:PATH for another folder.
    "BLOB_URL": "",
    "S3_ENDPOINT_URL": "",  # empty: AWS itself
    # Where a bucket's uploads are staged and hashed, and files fetched for reading: empty for
    # "blob-tmp" in the instance folder (the local store stages under UPLOAD_ROOT/tmp).
    "BLOB_TEMP_ROOT": "",
    "INDEX_ROOT": "",  # empty: "index" in the instance folder
    "MAX_UPLOAD_MB": 500,
    "EXTRACT_TIMEOUT_SECONDS": 60,
    "EXTRACT_MEMORY_MB": 1024,
    "INDEX_LOCK_TIMEOUT_SECONDS": 5.0,
    # Each node's index follows the database's change log: a thread per web process applies
    # other nodes' changes, polling this often (false: only requests and `index-sync` apply).
    "INDEX_FOLLOW": True,
    "INDEX_POLL_SECONDS": 0.25,
    # This node's name in the database (empty: this host and its index folder).
    "INDEX_NODE_NAME": "",
    # A node not heard from for this long no longer holds log rows back from pruning (when it
    # returns, its index is older than the log and it rebuilds).
    "INDEX_NODE_FORGET_HOURS": 72.0,
    # /readyz says 503 while this node's index is more than this many changes behind.
    "INDEX_READY_MAX_LAG": 100,
    # What one file's text puts in the search index: its first characters, up to this many
    # distinct words. Words past either bound are not searchable; the file is kept whole.
    "INDEX_MAX_CHARS": 4_000_000,
    "INDEX_MAX_WORDS": 30_000,
    # Processes a full rebuild (`flask reindex`, a new node) indexes with; 0: one per core.
    "INDEX_REBUILD_PROCESSES": 0,
    # How long a write to a SQLite database waits for another worker's write to finish.
    "DATABASE_BUSY_TIMEOUT_SECONDS": 15.0,
    "SECRET_KEY": "",  # empty: generated once and kept in the instance folder
    # Cookies only over HTTPS; plain-HTTP development (`make run`, the tests) sets it false.
    "SESSION_COOKIE_SECURE": True,
    # How long "Keep me signed in" lasts (flask-login's own default is a year).
    "REMEMBER_DAYS": 14,
    # Failed sign-ins allowed per address and email, and per address, before a 429.
    "LOGIN_LIMIT": "5 per minute",
    "LOGIN_ADDRESS_LIMIT": "20 per minute",
    # Where failed sign-ins are counted: memory:// counts in each worker process alone;
    # a shared store (redis://host:6379) makes the limits hold across workers.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted.
    "PROXY_COUNT": 0,
    # The metadata every asset should have; assets missing any are listed for cleaning up.
    "REQUIRED_FIELDS": "products,stages",
    # Days ahead in which an owner is told an asset is about to expire.
    "EXPIRY_WARNING_DAYS": 30,
    # Background jobs: run by a thread in each web process, or (false) by `flask worker` alone.
    "JOBS_IN_WEB": True,
    "JOBS_THREADS": 1,  # runner threads per web process
    "JOBS_PATH": "",  # empty: "jobs.db" in the instance folder (Huey's SQLite storage)
    # How often a runner looks for work owed with no job (a job lost with its node).
    "JOBS_SWEEP_SECONDS": 60.0,
    # Page images: LibreOffice's program, limits of one render, the width and the page cap.
    "SOFFICE_PATH": "soffice",
    "RENDER_TIMEOUT_SECONDS": 120,
    "RENDER_MEMORY_MB": 2048,
    "RENDER_ATTEMPTS": 3,  # tries before a render that keeps failing is given up
    # A render's claim lasts this long unless its runner renews it (it does, a third of the
    # way through, while it draws): a runner that dies with its node frees the job this soon.
    "RENDER_LEASE_SECONDS": 30.0,
    "PAGE_IMAGE_WIDTH": 1280,
    "MAX_PAGE_IMAGES": 300,  # pages drawn per file; a file claiming more gets the first ones
    # Links to buyers: days a new link works unless its sender says otherwise.
    "SHARE_DAYS": 30,
    # The name buyers see at the top of a shared page.
    "COMPANY_NAME": "collateral",
    # Wrong passcodes allowed on one link, and from one address, before a 429.
    "SHARE_PASSCODE_LIMIT": "5 per minute",
    "SHARE_PASSCODE_ADDRESS_LIMIT": "20 per minute",
    # Mail ("your link was opened"): smtp://host:port; empty sends no mail.
    "SMTP_URL": "",
    "MAIL_FROM": "",
    # The daily digest of unread notifications is sent from this hour (UTC) on, once a day.
    "DIGEST_HOUR": 7,
    # The library's address as people open it (https://collateral.example.com/), for the links
    # in mail that background jobs send; empty: that mail carries no links.
    "PUBLIC_URL": "",
}


def _convert(raw: str, default: object, name: str) -> object:
    """Read the environment variable `name` as the type of its default."""
    if isinstance(default, bool):
        return parse_bool(raw, name)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load_settings(environ: dict[str, str] | None = None) -> dict[str, object]:
    """The defaults with any COLLATERAL_* environment overrides applied."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = environ.get(f"COLLATERAL_{key}")
        if raw is not None:
            settings[key] = _convert(raw, default, f"COLLATERAL_{key}")
    return settings


def instance_secret_key(instance_path: str) -> str:
    """A secret key kept in the instance folder, so sessions survive restarts without setup."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return key


def finish_config(config: dict, instance_path: str) -> None:
    """Derive Flask's own keys from the product settings."""
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "collateral.db")
    config.setdefault("SQLALCHEMY_DATABASE_URI", config["DATABASE_URL"])
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # Workers share one file: a writer waits its turn (and WAL mode, set on connecting
        # in extensions.py, lets readers go on meanwhile) instead of failing at once.
        options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("timeout", float(config["DATABASE_BUSY_TIMEOUT_SECONDS"]))
    if not config.get("BLOB_TEMP_ROOT"):
        config["BLOB_TEMP_ROOT"] = str(Path(instance_path) / "blob-tmp")
    if not config.get("INDEX_ROOT"):
        config["INDEX_ROOT"] = str(Path(instance_path) / "index")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret_key(instance_path)
    # Room for the form fields beside the file; the file's own size is checked exactly.
    config["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 1024 * 1024
    # Flask's own defaults are already in `config`: SameSite (None there) is set outright.
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_SECURE", bool(config["SESSION_COOKIE_SECURE"]))
    config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=int(config["REMEMBER_DAYS"])))
    # Flask-Limiter reads its own keys; set every one so no app inherits another's.
    config.setdefault("RATELIMIT_ENABLED", True)
    config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # CSRF is checked by our own before_request so Bearer requests can skip it.
    config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
