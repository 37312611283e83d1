"""The "your link was opened" email, received by a real SMTP server on localhost (aiosmtpd)."""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from collateral.extensions import db
from collateral.models import ShareVisit
from collateral.services.share_mail import (
    JOB,
    MailNotSent,
    mail_job,
    requeue_unsent_mail,
    send_share_opened_mail,
)
from tests.conftest import run_jobs
from tests.factories import make_pdf
from tests.test_shares import make_share, token_of


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, seconds: float = 20.0) -> list:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def inbox():
    handler = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def mail_app(app, inbox):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    app.config["MAIL_FROM"] = "library@example.com"
    return app


def test_a_visit_sends_one_email_naming_the_link_visitor_and_documents(
    mail_app, api, client, inbox
):
    deck = api.upload(make_pdf(["Atlas"]), "atlas.pdf", title="Atlas pricing").get_json()["id"]
    share = make_share(api, [deck], title="Acme: pricing", require_email=True)
    token = token_of(share)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    form_token = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    client.post(f"/s/{token}", data={"email": "cfo@acme.example", "form_token": form_token})
    for _ in range(3):  # reloads within ten minutes are the same visit: one email
        assert client.get(f"/s/{token}").status_code == 200
    assert inbox.messages == []  # sent by a background job, not by the buyer's request
    assert run_jobs(mail_app) >= 1
    (recipients, message), *more = inbox.wait_for(1)
    time.sleep(0.5)
    assert not more and len(inbox.messages) == 1
    assert recipients == ["rep@example.com"]
    assert message["From"] == "library@example.com"
    assert message["Subject"] == "Opened: Acme: pricing"
    text = message.get_payload(decode=True).decode()
    assert "cfo@acme.example opened your link “Acme: pricing”" in text
    assert "Atlas pricing" in text
    with mail_app.app_context():
        visit = db.session.scalar(select(ShareVisit))
        assert visit.mail_sent_at is not None
        # Sending again (a job run twice) sends nothing more.
        assert send_share_opened_mail(visit.id) == "already sent"
    assert len(inbox.messages) == 1


def test_no_mail_server_is_recorded_not_raised(app, api, client):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens on the discard port
    app.config["MAIL_FROM"] = "library@example.com"
    deck = api.upload(make_pdf(["Atlas"]), "atlas.pdf", title="Atlas").get_json()["id"]
    share = make_share(api, [deck])
    with app.app_context():
        from collateral.services.share_access import open_link
        from collateral.services.share_visits import begin_visit

        link = open_link(token_of(share))
        visit, new = begin_visit(link.share, "v" * 20, None, "127.0.0.1", [])
        assert new
        outcome = send_share_opened_mail(visit.id)
        assert outcome.startswith("failed: ")
        db.session.refresh(visit)
        assert visit.mail_sent_at is None and visit.mail_error


def test_without_mail_settings_nothing_is_sent(app, api, client):
    deck = api.upload(make_pdf(["Atlas"]), "atlas.pdf", title="Atlas").get_json()["id"]
    share = make_share(api, [deck])
    assert client.get(f"/s/{token_of(share)}").status_code == 200
    with app.app_context():
        visit = db.session.scalar(select(ShareVisit))
        assert send_share_opened_mail(visit.id) == "off"


def test_a_refused_mail_raises_so_the_job_is_tried_again(app, api):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"
    app.config["MAIL_FROM"] = "library@example.com"
    deck = api.upload(make_pdf(["Atlas"]), "atlas.pdf", title="Atlas").get_json()["id"]
    share = make_share(api, [deck])
    with app.app_context():
        from collateral.services.share_access import open_link
        from collateral.services.share_visits import begin_visit

        visit, _ = begin_visit(open_link(token_of(share)).share, "w" * 20, None, "::1", [])
        with pytest.raises(MailNotSent, match="failed: "):
            mail_job(visit.id)


def test_a_visit_whose_mail_was_never_queued_is_queued_by_the_sweep(mail_app, api, inbox):
    deck = api.upload(make_pdf(["Atlas"]), "atlas.pdf", title="Atlas").get_json()["id"]
    share = make_share(api, [deck])
    with mail_app.app_context():
        from collateral.services.share_access import open_link
        from collateral.services.share_visits import begin_visit

        # Begun as a process that died before queueing its mail would leave it.
        visit, _ = begin_visit(open_link(token_of(share)).share, "x" * 20, None, "::1", [])
        visit.started_at -= timedelta(minutes=1)
        db.session.commit()
        jobs = mail_app.extensions["collateral.jobs"]
        assert (visit.id,) not in jobs.queued_arguments(JOB)
        assert requeue_unsent_mail() == 1
        assert requeue_unsent_mail() == 0  # already waiting in the queue
    run_jobs(mail_app)
    assert len(inbox.wait_for(1)) == 1
