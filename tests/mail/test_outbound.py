"""Mail to customers through our sender to a real SMTP sink: retries, refusals, a crash's repeat, dunning
with its workbook, greetings by consent, and the whole chain from a mail in to the progress mail out."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintStatus, NotificationStatus, Role
from portcrm.jobs.base import JobContext
from portcrm.jobs.greetings import greet
from portcrm.jobs.receivables import send_statements
from portcrm.mail.sender import MailSender
from portcrm.messaging import mail_outbox
from portcrm.messaging.mail_outbox import Attachment, enqueue_mail
from portcrm.models import Complaint, Notification, OutgoingMail, Staff
from portcrm.services.complaints import flow
from portcrm.settings import Settings
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_invoice, make_staff
from tests.mail.conftest import Sink, deliver, mail, send_due

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _one(db: Database, **kw: object) -> None:
    async with db.session() as session:
        await enqueue_mail(
            session,
            key="k1",
            kind="test",
            to="wang@forwarder.example",
            to_name="王经理",
            subject="关于投诉 CP-2026-000001 的答复",
            text="您好，\n\n这是回复。",
            in_reply_to="<theirs@forwarder.example>",
            references=["<first@forwarder.example>"],
            attachments=[Attachment("报告.xlsx", "application/octet-stream", b"PK\x03\x04 bytes")],
            **kw,  # type: ignore[arg-type]
        )
        await session.commit()


async def _mail(db: Database) -> OutgoingMail:
    async with db.session() as session:
        row = await session.scalar(select(OutgoingMail))
        assert row is not None
        return row


class TestSender:
    async def test_sends_chinese_subject_names_threading_and_attachment_intact(
        self, db: Database, sender: MailSender, sink: Sink
    ) -> None:
        await _one(db)
        assert await send_due(sender) == 1
        [got] = sink.received
        assert str(got["Subject"]) == "关于投诉 CP-2026-000001 的答复"
        assert got["To"].addresses[0].display_name == "王经理"
        assert got["In-Reply-To"] == "<theirs@forwarder.example>"
        assert got["References"] == "<first@forwarder.example> <theirs@forwarder.example>"
        [part] = list(got.iter_attachments())
        assert part.get_filename() == "报告.xlsx"
        assert part.get_content() == b"PK\x03\x04 bytes"
        row = await _mail(db)
        assert row.status == NotificationStatus.SENT
        assert got["Message-ID"] == row.message_id

    async def test_a_4xx_answer_is_retried_and_then_delivered(
        self, db: Database, settings: Settings, sink: Sink
    ) -> None:
        sender = MailSender(db, settings, retry_base=dt.timedelta(0))
        sink.answers.append("451 4.3.0 try again later")
        await _one(db)
        assert await sender.send_one()
        row = await _mail(db)
        assert row.status == NotificationStatus.PENDING
        assert row.attempts == 1
        assert row.last_error is not None
        assert row.last_error.startswith("451")
        assert await send_due(sender) == 1
        assert len(sink.received) == 1
        assert (await _mail(db)).status == NotificationStatus.SENT

    async def test_a_5xx_answer_fails_the_mail_for_good(
        self, db: Database, sender: MailSender, sink: Sink
    ) -> None:
        sink.answers.append("550 5.7.1 message refused")
        await _one(db)
        assert await sender.send_one()
        row = await _mail(db)
        assert row.status == NotificationStatus.FAILED
        assert row.last_error == "550 5.7.1 message refused"
        assert await send_due(sender) == 0
        assert sink.received == []

    async def test_a_sender_killed_after_its_claim_repeats_that_one_mail_with_the_same_message_id(
        self, db: Database, settings: Settings, sink: Sink
    ) -> None:
        await _one(db)
        async with db.session() as session:  # the first sender claims it and dies before sending
            claimed = await mail_outbox.claim_next(session, dt.timedelta(seconds=60))
        assert claimed is not None
        other = MailSender(db, settings)
        assert await other.send_one() is False  # the claim holds it while its lease lasts
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61)
        async with db.session() as session:
            again = await mail_outbox.claim_next(session, dt.timedelta(seconds=60), now=later)
        assert again is not None
        assert again.message_id == claimed.message_id

    async def test_a_connection_refused_backs_off(self, db: Database, settings: Settings) -> None:
        closed = settings.model_copy(update={"smtp_port": 1})
        await _one(db)
        assert await MailSender(db, closed).send_one()
        row = await _mail(db)
        assert row.status == NotificationStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > dt.datetime.now(dt.UTC)


class TestWhoGetsMail:
    async def test_dunning_by_mail_for_a_contact_without_telegram_with_the_xlsx(
        self, db: Database, session: AsyncSession, settings: Settings, sender: MailSender, sink: Sink
    ) -> None:
        customer = await make_customer(session, name="宁波远洋货代有限公司")
        await make_contact(session, customer, name="财务张", email="zhang@forwarder.example", is_billing=True)
        today = dt.date(2026, 12, 8)
        await make_invoice(session, customer, number="INV-2026-0042", due_on=today - dt.timedelta(days=1))
        await session.commit()
        ctx = JobContext(db, settings, dt.datetime.combine(today, dt.time(9), tzinfo=SHANGHAI))
        assert await send_statements(ctx) == (1, 0)
        assert await send_due(sender) == 1
        [got] = sink.received
        assert "宁波远洋货代有限公司" in str(got["Subject"])
        assert "INV-2026-0042" in got.get_body().get_content()
        [sheet] = list(got.iter_attachments())
        assert sheet.get_filename().endswith(".xlsx")
        book = load_workbook(io.BytesIO(sheet.get_content()))
        cells = [cell for ws in book.worksheets for row in ws.iter_rows(values_only=True) for cell in row]
        assert "INV-2026-0042" in cells
        async with db.session() as s:
            assert await s.scalar(select(Notification.id)) is None  # not in chat too

    async def test_greetings_by_mail_only_with_consent(
        self, db: Database, session: AsyncSession, settings: Settings, sender: MailSender, sink: Sink
    ) -> None:
        customer = await make_customer(session, name="宁波远洋货代有限公司")
        await make_contact(
            session, customer, name="愿意", email="yes@forwarder.example", consent_greetings=True
        )
        await make_contact(
            session, customer, name="不愿", email="no@forwarder.example", consent_greetings=False
        )
        await session.commit()
        national_day = dt.date(2026, 10, 1)
        ctx = JobContext(db, settings, dt.datetime.combine(national_day, dt.time(9), tzinfo=SHANGHAI))
        counts = await greet(ctx)
        assert counts["national_day"] == 1
        assert await send_due(sender) == 1
        [got] = sink.received
        assert got["To"].addresses[0].addr_spec == "yes@forwarder.example"
        assert "愿意" in got.get_body().get_content()
        assert "&" not in got.get_body().get_content()


async def test_mail_in_to_complaint_to_staff_step_to_progress_mail_out(
    db: Database, session: AsyncSession, mailbox: int, sender: MailSender, sink: Sink
) -> None:
    customer = await make_customer(session, name="宁波远洋货代有限公司")
    await make_contact(session, customer, name="王经理", email="wang@forwarder.example", locale="en")
    await make_staff(session, roles=(Role.MARKET,), name="李娜")
    await session.commit()
    first = mail(sender="wang@forwarder.example", message_id="<chain@forwarder.example>")
    assert (await deliver(mailbox, first))[0] == 250
    await send_due(sender)  # the acknowledgement
    async with db.session() as s:
        complaint = await s.scalar(select(Complaint))
        staff_id = await s.scalar(select(Staff.id))
        assert complaint is not None
        assert staff_id is not None
        await flow.acknowledge(s, complaint.id, staff_id, default_locale="zh_CN")
        ticket = complaint.ticket
    assert await send_due(sender) == 1
    ack, progress = sink.received
    assert str(progress["Subject"]) == f"Complaint {ticket}: Acknowledged"
    assert "a colleague is taking care of it" in progress.get_body().get_content()
    assert progress["In-Reply-To"] == "<chain@forwarder.example>"
    assert ack["Message-ID"] in progress["References"]
    async with db.session() as s:
        status = await s.scalar(select(Complaint.status))
    assert status == ComplaintStatus.ACKNOWLEDGED
