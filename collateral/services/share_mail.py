"""The "your link was opened" email: one per visit, sent by a background job, never by the
request that began the visit (a slow mail server never slows a buyer's page)."""

from __future__ import annotations

import smtplib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import Share, ShareVisit, utcnow
from .mail import mail_configured, send_mail

JOB = "share_opened_mail"
SWEEP_WINDOW = timedelta(hours=24)  # visits whose mail was never tried are queued again
SWEEP_AFTER = timedelta(seconds=30)  # the visit's own enqueue comes first


class MailNotSent(RuntimeError):
    """The mail server did not take the message; the job is tried again later."""


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
    try:
        send_mail(config, share.created_by.email, f"Opened: {share.title}", body)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        db.session.execute(
            update(ShareVisit).where(ShareVisit.id == visit_id).values(mail_error=error)
        )
        db.session.commit()
        current_app.logger.warning("share-opened mail for visit %s failed: %s", visit_id, error)
        return f"failed: {error}"
    claimed = db.session.execute(
        update(ShareVisit)
        .where(ShareVisit.id == visit_id, ShareVisit.mail_sent_at.is_(None))
        .values(mail_sent_at=utcnow(), mail_error=None)
    ).rowcount
    db.session.commit()
    return "sent" if claimed else "already sent"


def mail_job(visit_id: int, base_url: str = "") -> str:
    """The job: send the mail; a refusal raises so the queue tries again (its retries, with
    growing waits), and the last reason stays on the visit."""
    outcome = send_share_opened_mail(visit_id, base_url)
    if outcome.startswith("failed: "):
        raise MailNotSent(outcome)
    return outcome


def dispatch_share_opened_mail(visit_id: int, base_url: str = "") -> None:
    """Queue the "link opened" mail of a visit just committed."""
    if mail_configured(current_app.config):
        current_app.extensions["collateral.jobs"].enqueue(JOB, visit_id, base_url)


def requeue_unsent_mail() -> int:
    """Queue again the mail of recent visits that was never tried (a process that died between
    the visit's commit and its enqueue); how many were queued."""
    if not mail_configured(current_app.config):
        return 0
    now = utcnow()
    jobs = current_app.extensions["collateral.jobs"]
    waiting = {args[0] for args in jobs.queued_arguments(JOB)}
    owed = db.session.scalars(
        select(ShareVisit.id).where(
            ShareVisit.mail_sent_at.is_(None),
            ShareVisit.mail_error.is_(None),
            ShareVisit.started_at >= now - SWEEP_WINDOW,
            ShareVisit.started_at <= now - SWEEP_AFTER,
        )
    ).all()
    queued = 0
    for visit_id in owed:
        if visit_id not in waiting:
            jobs.enqueue(JOB, visit_id)
            queued += 1
    return queued
