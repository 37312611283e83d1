"""The daily digest: once a day, from DIGEST_HOUR (UTC), each user with unread notifications
from before that hour not yet in a digest gets one email summing them up (unless they opted
out on their profile page). What comes later in the day waits for the next day's digest, so a
digest never repeats what the user was just told (a "link opened" mail, say).

The background jobs' sweep queues a job per user who is owed one (`queue_due_digests`); the
job claims the user's digest of the day by inserting its (user, day) row, unique, before
sending, so a restart, a second sweep or two workers never send a day's digest twice. A
refused send gives the claim back and the queue tries again; a process that dies between the
claim and the send loses that day's email (at most once: the notifications stay in the app).
"""

from __future__ import annotations

import smtplib
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Notification, NotificationDigest, User, utcnow
from .actor import Actor
from .audit import record_event
from .mail import mail_configured, send_mail

JOB = "notification_digest"
MAX_LISTED = 20  # notifications written out in one email; more are counted


class DigestNotSent(RuntimeError):
    """The mail server did not take the digest; the job is tried again later."""


def _digested_up_to(user_id: int) -> int:
    """The newest notification id already in one of the user's digests (0: none)."""
    return db.session.scalar(
        select(func.coalesce(func.max(NotificationDigest.last_notification_id), 0)).where(
            NotificationDigest.user_id == user_id
        )
    )


def _cutoff(config, day: date) -> datetime:
    """The moment a day's digest is due: what came before it is in that day's digest."""
    return datetime.combine(day, time(hour=int(config["DIGEST_HOUR"])))


def queue_due_digests(now: datetime | None = None) -> int:
    """The sweep: from DIGEST_HOUR (UTC) on, queue the digest of each user who wants one, has
    unread notifications newer than their last digest and had none today. One query for all
    users; how many were queued."""
    config = current_app.config
    now = now or utcnow()
    if not mail_configured(config) or now.hour < int(config["DIGEST_HOUR"]):
        return 0
    today = now.date()
    last = (
        select(
            NotificationDigest.user_id,
            func.max(NotificationDigest.last_notification_id).label("up_to"),
        )
        .group_by(NotificationDigest.user_id)
        .subquery()
    )
    done_today = select(NotificationDigest.user_id).where(NotificationDigest.day == today)
    owed = exists().where(
        Notification.user_id == User.id,
        Notification.read.is_(False),
        Notification.at < _cutoff(config, today),
        Notification.id > func.coalesce(last.c.up_to, 0),
    )
    due = db.session.scalars(
        select(User.id)
        .outerjoin(last, last.c.user_id == User.id)
        .where(
            User.active.is_(True),
            User.daily_digest.is_(True),
            User.id.not_in(done_today),
            owed,
        )
    ).all()
    jobs = current_app.extensions["collateral.jobs"]
    waiting = jobs.queued_arguments(JOB)
    queued = 0
    for user_id in due:
        if (user_id, today.isoformat()) not in waiting:
            jobs.enqueue(JOB, user_id, today.isoformat())
            queued += 1
    return queued


def _body(user: User, rows: list[Notification], total: int) -> str:
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    noun = "notification" if total == 1 else "notifications"
    lines = [f"Hello {user.name or user.email},", "", f"You have {total} unread {noun}:", ""]
    for row in rows:
        lines.append(f"- {row.at:%d %b %H:%M} UTC: {row.message}")
        if base and row.asset_id is not None:
            lines.append(f"  {base}/assets/{row.asset_id}")
    if total > len(rows):
        lines.append(f"- and {total - len(rows)} more.")
    lines.append("")
    if base:
        lines.append(f"All of them: {base}/notifications")
        lines.append(f"No more daily emails: untick “Daily digest” at {base}/account")
    else:
        lines.append("No more daily emails: untick “Daily digest” on your profile page.")
    return "\n".join(lines) + "\n"


def send_digest(user_id: int, day: str) -> str:
    """Send the user's digest for `day` (ISO date) once. Returns what happened: "sent",
    "already sent", "nothing", "off" or "failed: ..."."""
    config = current_app.config
    if not mail_configured(config):
        return "off"
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.daily_digest:
        return "off"
    unread = (
        Notification.user_id == user_id,
        Notification.read.is_(False),
        Notification.at < _cutoff(config, date.fromisoformat(day)),
        Notification.id > _digested_up_to(user_id),
    )
    total = db.session.scalar(select(func.count()).where(*unread))
    if not total:
        return "nothing"
    rows = list(
        db.session.scalars(
            select(Notification).where(*unread).order_by(Notification.id.desc()).limit(MAX_LISTED)
        )
    )
    up_to = db.session.scalar(select(func.max(Notification.id)).where(*unread))
    claim = NotificationDigest(
        user_id=user_id, day=date.fromisoformat(day), last_notification_id=up_to, count=total
    )
    db.session.add(claim)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return "already sent"
    subject = f"Collateral: {total} unread notification{'' if total == 1 else 's'}"
    try:
        send_mail(config, user.email, subject, _body(user, rows, total))
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        db.session.execute(delete(NotificationDigest).where(NotificationDigest.id == claim.id))
        db.session.commit()
        current_app.logger.warning("digest for user %s failed: %s", user_id, error)
        return f"failed: {error}"
    db.session.execute(
        update(NotificationDigest).where(NotificationDigest.id == claim.id).values(sent_at=utcnow())
    )
    db.session.commit()
    return "sent"


def digest_job(user_id: int, day: str) -> str:
    """The job: a refusal raises, so the queue tries again with growing waits."""
    outcome = send_digest(user_id, day)
    if outcome.startswith("failed: "):
        raise DigestNotSent(outcome)
    return outcome


def set_daily_digest(actor: Actor, wanted: bool) -> None:
    """The profile page's opt-out (or back in), for the actor's own account."""
    actor.user.daily_digest = wanted
    record_event("daily_digest_changed", actor, wanted=wanted)
    db.session.commit()
