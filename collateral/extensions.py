"""Extensions, created unbound and bound to the app in the factory."""

import sqlite3
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Objects stay loaded after a commit: a request that audits (commits) and then renders the
# same rows must not reload each one lazily.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Only the routes that name a limit are limited (sign-in); settings come from RATELIMIT_*.
limiter = Limiter(get_remote_address)


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection, _connection_record) -> None:
    """SQLite in WAL mode: several workers read while one writes, and no reader blocks it."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
POSTGRES_BUSY = {"55P03", "40P01", "40001"}  # lock not available, deadlock, serialization


def database_busy(exc: BaseException) -> bool:
    """Whether a database error means other writers held it too long: try again, not a fault."""
    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_BUSY
    return getattr(exc.orig, "sqlstate", None) in POSTGRES_BUSY


def retry_after_seconds() -> int:
    """Seconds until the rate limit this request broke lets the caller try again."""
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))
