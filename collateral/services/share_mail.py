"""The "your link was opened" email: one per visit, sent away from the request that began it."""

from __future__ import annotations

import smtplib
import threading
import time

from flask import Flask, current_app
from sqlalchemy import update

from ..extensions import db
from ..models import Share, ShareVisit, utcnow
from .mail import mail_configured, send_mail

ATTEMPTS = 3
RETRY_WAIT_SECONDS = 5.0


def send_share_opened_mail(visit_id: int, base_url: str = "") -> str:
    """Tell a link's sender by mail that a visit began; safe to run twice (the visit keeps
    that it was sent). Returns what happened: "sent", "already sent", "off" or "failed: ..."."""
    config = current_app.config
    if not mail_configured(config):
        return "off"
    visit = db.session.get(ShareVisit, visit_id)
    if visit is None:
        return "no such visit"
    if visit.mail_sent_at is not None:
        return "already sent"
    share = db.session.get(Share, visit.share_id)
    titles = [item.asset.title for item in share.items]
    who = visit.email or "Someone (no email given)"
    body = (
        f"{who} opened your link “{share.title}” at {visit.started_at:%Y-%m-%d %H:%M} UTC.\n\n"
        "The link holds:\n" + "".join(f"  - {t}\n" for t in titles)
    )
    if base_url:
        body += f"\nVisits and time per page: {base_url}shares/{share.id}\n"
    error = ""
    for attempt in range(ATTEMPTS):
        try:
            send_mail(config, share.created_by.email, f"Opened: {share.title}", body)
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
            if attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_WAIT_SECONDS * (attempt + 1))
            continue
        claimed = db.session.execute(
            update(ShareVisit)
            .where(ShareVisit.id == visit_id, ShareVisit.mail_sent_at.is_(None))
            .values(mail_sent_at=utcnow(), mail_error=None)
        ).rowcount
        db.session.commit()
        return "sent" if claimed else "already sent"
    db.session.execute(update(ShareVisit).where(ShareVisit.id == visit_id).values(mail_error=error))
    db.session.commit()
    current_app.logger.warning("share-opened mail for visit %s failed: %s", visit_id, error)
    return f"failed: {error}"


# ---------------------------------------------------------------------------------------------
# THE ONE PLACE mail is dispatched. Until the job queue exists this runs the send in a daemon
# thread with its own app context, right after the visit's commit; swap the body of this
# function for "enqueue a job that calls send_share_opened_mail(visit_id, base_url)".
# ---------------------------------------------------------------------------------------------


def dispatch_share_opened_mail(visit_id: int, base_url: str = "") -> None:
    """Send the "link opened" mail without holding up the buyer's page."""
    if not mail_configured(current_app.config):
        return
    app: Flask = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                send_share_opened_mail(visit_id, base_url)
            except Exception:  # a thread's error would vanish: log it where admins look
                app.logger.exception("share-opened mail for visit %s", visit_id)
            finally:
                db.session.remove()

    threading.Thread(target=run, name=f"share-mail-{visit_id}", daemon=True).start()
