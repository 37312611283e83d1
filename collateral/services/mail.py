"""Sending mail through the SMTP server named by COLLATERAL_SMTP_URL (smtp://host:port)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import urlsplit

SMTP_TIMEOUT_SECONDS = 10.0


class MailNotConfigured(Exception):
    """No SMTP_URL or MAIL_FROM: mail is off."""


def mail_configured(config) -> bool:
    return bool(config.get("SMTP_URL")) and bool(config.get("MAIL_FROM"))


def send_mail(config, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises OSError or smtplib.SMTPException when it fails."""
    if not mail_configured(config):
        raise MailNotConfigured("Set COLLATERAL_SMTP_URL and COLLATERAL_MAIL_FROM to send mail.")
    url = urlsplit(str(config["SMTP_URL"]))
    if url.scheme != "smtp" or not url.hostname:
        raise MailNotConfigured("COLLATERAL_SMTP_URL must look like smtp://host:port.")
    message = EmailMessage()
    message["From"] = str(config["MAIL_FROM"])
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(url.hostname, url.port or 25, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.send_message(message)
