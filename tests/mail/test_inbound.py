"""The complaint mailbox end to end: a real SMTP client hands mail to our real receiver over a real
database; what it stores and what it sends back (through our sender to a real sink) is checked."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import ComplaintChannel, ComplaintStatus, MailStatus, NotificationStatus, Role
from portcrm.mail.sender import MailSender
from portcrm.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    MailRecord,
    Notification,
    OutgoingMail,
    Staff,
)
from portcrm.services.complaints import flow
from portcrm.storage.db import Database
from tests.factories import make_contact, make_customer, make_staff
from tests.mail.conftest import COMPLAINTS, Sink, deliver, mail, send_due

PDF = b"%PDF-1.4 survey report \x00\x01\x02"


async def _known(
    session: AsyncSession, email: str = "wang@forwarder.example", **kw: object
) -> tuple[int, int]:
    customer = await make_customer(session, name="宁波远洋货代有限公司")
    contact = await make_contact(session, customer, name="王经理", email=email, locale="zh_CN", **kw)
    await make_staff(session, roles=(Role.MARKET,))
    await session.commit()
    return customer.id, contact.id


async def _count(db: Database, model: type, *where: object) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


class TestNewComplaint:
    async def test_known_contact_opens_an_email_complaint_acknowledged_by_threaded_mail(
        self, db: Database, session: AsyncSession, mailbox: int, sender: MailSender, sink: Sink
    ) -> None:
        customer_id, contact_id = await _known(session, email="Wang@Forwarder.example")
        code, text = await deliver(
            mailbox,
            mail(
                sender="wang@forwarder.example",
                message_id="<first@forwarder.example>",
                files=(("检验报告.pdf", "application/pdf", PDF),),
            ),
        )
        assert code == 250
        assert "CP-" in text
        async with db.session() as s:
            complaint = await s.scalar(select(Complaint))
            assert complaint is not None
            assert (complaint.channel, complaint.customer_id, complaint.contact_id) == (
                ComplaintChannel.EMAIL,
                customer_id,
                contact_id,
            )
            assert complaint.department == Role.MARKET  # category "other", routed as the chat routes it
            assert complaint.description.startswith("集装箱破损\n\n您好")
            attachment = await s.scalar(select(ComplaintAttachment))
            assert attachment is not None
            assert attachment.telegram_file_id is None
            assert (attachment.file_name, attachment.mime_type) == ("检验报告.pdf", "application/pdf")
            assert await s.scalar(select(ComplaintAttachment.content)) == PDF
            staff_alerts = await s.scalar(select(func.count()).where(Notification.kind == "complaint_new"))
            assert staff_alerts == 1  # the market department hears as of a chat complaint
            ticket = complaint.ticket
        assert await send_due(sender) == 1
        [ack] = sink.received
        assert ack["To"].addresses[0].addr_spec == "Wang@Forwarder.example"
        assert ack["In-Reply-To"] == "<first@forwarder.example>"
        assert ticket in str(ack["Subject"])
        assert "已登记" in str(ack["Subject"])
        assert ack["From"].addresses[0].display_name == "宁波港客户服务"
        assert ack["Auto-Submitted"] == "auto-replied"
        assert ticket in ack.get_body().get_content()
        assert await _count(db, MailRecord, MailRecord.status == MailStatus.SENT) == 1

    async def test_the_same_mail_handed_over_twice_opens_one_complaint(
        self, db: Database, session: AsyncSession, mailbox: int
    ) -> None:
        await _known(session)
        message = mail(sender="wang@forwarder.example", message_id="<twice@forwarder.example>")
        assert (await deliver(mailbox, message))[0] == 250
        assert (await deliver(mailbox, message))[0] == 250
        assert await _count(db, Complaint) == 1
        assert await _count(db, OutgoingMail) == 1

    async def test_html_only_mail_is_reduced_to_text_without_its_script(
        self, db: Database, session: AsyncSession, mailbox: int
    ) -> None:
        await _known(session)
        html = (
            "<html><head><style>p {color: red}</style></head><body><p>箱号 MSKU1234565 &amp; 铅封</p>"
            "<script>alert('x')</script><p>第二段<br>第三行</p></body></html>"
        )
        assert (await deliver(mailbox, mail(sender="wang@forwarder.example", text=None, html=html)))[0] == 250
        async with db.session() as s:
            description = await s.scalar(select(Complaint.description))
        assert description == "集装箱破损\n\n箱号 MSKU1234565 & 铅封\n\n第二段\n第三行"  # paragraphs apart


class TestReplies:
    async def _opened(self, db: Database, mailbox: int, sender: MailSender, sink: Sink) -> tuple[str, str]:
        await deliver(mailbox, mail(sender="wang@forwarder.example", message_id="<open@forwarder.example>"))
        await send_due(sender)
        async with db.session() as s:
            ticket = await s.scalar(select(Complaint.ticket))
        assert ticket is not None
        return ticket, sink.received[-1]["Message-ID"]

    async def test_reply_to_our_mail_is_added_to_the_complaint_and_the_desk_is_told(
        self, db: Database, session: AsyncSession, mailbox: int, sender: MailSender, sink: Sink
    ) -> None:
        await _known(session)
        ticket, ack_id = await self._opened(db, mailbox, sender, sink)
        reply = mail(
            sender="wang@forwarder.example", subject="Re: 回执", text="补充：还有一箱。", in_reply_to=ack_id
        )
        code, text = await deliver(mailbox, reply)
        assert code == 250
        assert ticket in text
        assert await _count(db, Complaint) == 1
        async with db.session() as s:
            event = await s.scalar(select(ComplaintEvent).where(ComplaintEvent.kind == "customer_mail"))
            assert event is not None
            assert event.text == "补充：还有一箱。"
            told = await s.scalar(select(func.count()).where(Notification.kind == "complaint_customer_mail"))
        assert told == 1

    async def test_reference_in_the_subject_answers_the_question_the_complaint_awaits(
        self, db: Database, session: AsyncSession, mailbox: int, sender: MailSender, sink: Sink
    ) -> None:
        await _known(session)
        ticket, _ack = await self._opened(db, mailbox, sender, sink)
        async with db.session() as s:
            complaint_id = await s.scalar(select(Complaint.id))
            staff_id = await s.scalar(select(Staff.id))
            assert complaint_id is not None
            assert staff_id is not None
            await flow.acknowledge(s, complaint_id, staff_id, default_locale="zh_CN")
            await flow.start_investigation(s, complaint_id, staff_id, default_locale="zh_CN")
            await flow.ask_customer(s, complaint_id, staff_id, "请提供照片。", default_locale="zh_CN")
        await send_due(sender)
        question = sink.received[-1]
        assert "请提供照片。" in question.get_body().get_content()
        assert question["In-Reply-To"] == "<open@forwarder.example>"  # answers the customer's latest mail
        answer = mail(sender="wang@forwarder.example", subject=f"关于 {ticket}", text="照片见附件。")
        assert (await deliver(mailbox, answer))[0] == 250
        async with db.session() as s:
            complaint = await s.get(Complaint, complaint_id)
            assert complaint is not None
            assert complaint.status == ComplaintStatus.INVESTIGATING
            message = await s.scalar(select(ComplaintEvent.text).where(ComplaintEvent.kind == "message"))
        assert message == "照片见附件。"

    async def test_another_companys_contact_quoting_a_reference_cannot_attach_to_it(
        self, db: Database, session: AsyncSession, mailbox: int, sender: MailSender, sink: Sink
    ) -> None:
        await _known(session)
        other = await make_customer(session, name="上海别家物流有限公司")
        await make_contact(session, other, name="李四", email="li@other.example")
        await session.commit()
        ticket, ack_id = await self._opened(db, mailbox, sender, sink)
        sneaky = mail(
            sender="li@other.example", subject=f"Re: {ticket}", text="我也有意见", in_reply_to=ack_id
        )
        code, text = await deliver(mailbox, sneaky)
        assert code == 250
        assert ticket not in text
        async with db.session() as s:
            first = await s.scalar(select(Complaint).where(Complaint.ticket == ticket))
            assert first is not None
            events = await s.scalar(
                select(func.count()).where(
                    ComplaintEvent.complaint_id == first.id, ComplaintEvent.kind != "created"
                )
            )
            assert events == 0
            theirs = await s.scalar(select(Complaint).where(Complaint.customer_id == other.id))
        assert theirs is not None
        assert theirs.ticket != ticket


class TestUnknownAndRobots:
    async def test_an_unknown_sender_gets_exactly_one_reply_for_two_mails(
        self, db: Database, mailbox: int, sender: MailSender, sink: Sink
    ) -> None:
        for n in (1, 2):
            message = mail(sender="stranger@nowhere.example", message_id=f"<s{n}@nowhere.example>")
            assert (await deliver(mailbox, message))[0] == 250
        assert await _count(db, Complaint) == 0
        assert await _count(db, MailRecord, MailRecord.status == MailStatus.UNKNOWN_SENDER) == 2
        assert await send_due(sender) == 1
        [reply] = sink.received
        body = reply.get_body().get_content()
        assert "stranger@nowhere.example" in body
        assert "+86 574 8000 0000" in body
        assert "complaint mailbox" in body  # English after the port's own language
        assert reply["In-Reply-To"] == "<s1@nowhere.example>"

    async def test_auto_replies_are_kept_and_never_answered(
        self, db: Database, session: AsyncSession, mailbox: int
    ) -> None:
        await _known(session)
        robots = [
            ({"Auto-Submitted": "auto-replied"}, "wang@forwarder.example"),
            ({"Precedence": "bulk"}, "stranger@nowhere.example"),
            ({"X-Autoreply": "yes"}, "stranger@nowhere.example"),
            ({"List-Id": "<news.nowhere.example>"}, "stranger@nowhere.example"),
        ]
        for n, (headers, address) in enumerate(robots):
            message = mail(sender=address, headers=headers, message_id=f"<robot{n}@x.example>")
            assert (await deliver(mailbox, message))[0] == 250
        assert (await deliver(mailbox, mail(sender="ooo@x.example"), sender=""))[0] == 250  # MAIL FROM:<>
        assert await _count(db, MailRecord, MailRecord.status == MailStatus.AUTO_REPLY) == 5
        assert await _count(db, Complaint) == 0
        assert await _count(db, OutgoingMail) == 0

    async def test_a_bounce_of_our_mail_fails_it_and_is_never_answered(
        self, db: Database, session: AsyncSession, mailbox: int, sender: MailSender, sink: Sink
    ) -> None:
        await _known(session)
        await deliver(mailbox, mail(sender="wang@forwarder.example", message_id="<b@forwarder.example>"))
        async with db.session() as s:
            ours = await s.scalar(select(OutgoingMail.message_id))
        report = _delivery_report(ours or "")
        assert (await deliver(mailbox, report, sender=""))[0] == 250
        async with db.session() as s:
            status = await s.scalar(select(OutgoingMail.status).where(OutgoingMail.message_id == ours))
        assert status == NotificationStatus.FAILED
        assert await _count(db, OutgoingMail) == 1
        assert await _count(db, MailRecord, MailRecord.status == MailStatus.BOUNCE) == 1
        assert await send_due(sender) == 0


class TestRefusals:
    async def test_other_recipients_are_refused_with_550(self, db: Database, mailbox: int) -> None:
        code, _ = await deliver(mailbox, mail(sender="wang@forwarder.example", to="sales@port.example"))
        assert code == 550
        assert await _count(db, MailRecord) == 0

    async def test_oversized_mail_is_refused_with_552_and_nothing_is_stored(
        self, db: Database, session: AsyncSession, mailbox: int
    ) -> None:
        await _known(session)
        big = mail(
            sender="wang@forwarder.example", files=(("big.bin", "application/octet-stream", b"x" * 100_000),)
        )
        code, _ = await deliver(mailbox, big)
        assert code == 552
        assert await _count(db, MailRecord) == 0
        assert await _count(db, Complaint) == 0

    async def test_malformed_mail_is_refused_with_a_clear_5xx_and_nothing_is_stored(
        self, db: Database, session: AsyncSession, mailbox: int
    ) -> None:
        await _known(session)
        code, text = await deliver(mailbox, b"this is not a mail at all\r\njust words\r\n")
        assert code == 554
        assert "From" in text
        code, text = await deliver(mailbox, b"Subject: no sender\r\nFrom: nobody\r\n\r\nhello\r\n")
        assert code == 554
        assert await _count(db, MailRecord) == 0
        assert await _count(db, Complaint) == 0


def _delivery_report(message_id: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@relay.example>\r\n"
        f"To: {COMPLAINTS}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@relay.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; relay.example\r\n\r\nFinal-Recipient: rfc822; wang@forwarder.example\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\nSubject: x\r\n"
        "--B--\r\n"
    ).encode()
