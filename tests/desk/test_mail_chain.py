"""The whole issue in one run: a mail to the complaint mailbox becomes a complaint with its desk topic,
the customer's reply by mail is posted there, and what staff write in the topic goes back by mail.

Real SMTP both ways on localhost (our receiver fed by aiosmtplib, our sender delivering to a sink), the real
bot polling the sandbox's forum supergroup.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from portcrm.enums import ComplaintChannel
from portcrm.mail.receiver import mail_server
from portcrm.models import Complaint, ComplaintEvent
from sandbox import tiny_png
from tests.desk.support import Desk, running_desk
from tests.factories import make_contact, make_customer
from tests.harness import TOKEN
from tests.mail.conftest import COMPLAINTS, Sink, deliver, mail
from tests.mail.conftest import sink as sink  # the relay our sender delivers to (a fixture)

ADDRESS = "liu@shipper.example"


@pytest.fixture
async def desk_app(database_url: str, sink: Sink) -> AsyncIterator[Desk]:
    async with running_desk(
        database_url,
        complaint_address=COMPLAINTS,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_tls="none",
        mail_rate_per_minute=6000,
    ) as running:
        yield running


async def _received(sink: Sink, count: int) -> None:
    async with asyncio.timeout(30):
        while len(sink.received) < count:
            sink.arrived.clear()
            await sink.arrived.wait()


async def test_mail_in_to_topic_to_staff_reply_to_mail_out(desk_app: Desk, sink: Sink) -> None:
    app = desk_app.app
    async with app.db.session() as session:
        shipper = await make_customer(session, name="青岛远航货主有限公司")
        await make_contact(session, shipper, name="刘经理", email=ADDRESS, locale="en")  # no Telegram
        await session.commit()
    await desk_app.attach()
    async with mail_server(app.db, app.settings.model_copy(update={"mail_listen": "127.0.0.1:0"})) as port:
        assert port is not None
        first = mail(sender=ADDRESS, subject="卸船时货物受损", message_id="<first@shipper.example>")
        assert (await deliver(port, first))[0] == 250
        async with app.db.session() as session:
            complaint = await session.scalar(select(Complaint))
            await session.commit()
        assert complaint is not None
        assert complaint.channel == ComplaintChannel.EMAIL

        topic = await desk_app.topic_of(complaint.id)  # the mail's complaint has its topic and card
        card = await desk_app.in_topic(topic.message_thread_id, complaint.ticket)
        assert "青岛远航货主有限公司" in (card.text or "")
        await _received(sink, 1)  # the acknowledgement with its reference
        assert complaint.ticket in str(sink.received[0]["Subject"])

        reply = mail(
            sender=ADDRESS,
            subject=f"Re: {complaint.ticket}",
            text="箱子照片见附件。",
            message_id="<second@shipper.example>",
            in_reply_to=sink.received[0]["Message-ID"],
            files=(("damage.png", "image/png", tiny_png(2, 2)),),
        )
        assert (await deliver(port, reply))[0] == 250
        posted = await desk_app.in_topic(topic.message_thread_id, "箱子照片见附件")
        assert "刘经理" in (posted.text or "")

    update = desk_app.post(desk_app.staff, "我们已安排查验，周五前答复。", topic.message_thread_id)
    await app.handled(update)
    await _received(sink, 2)
    answer = sink.received[1]
    assert "我们已安排查验，周五前答复。" in answer.get_body().get_content()
    assert "张市场" in answer.get_body().get_content()  # signed with the staff member's name
    assert complaint.ticket in str(answer["Subject"])
    assert answer["In-Reply-To"] == "<second@shipper.example>"  # threaded under their latest mail

    photo = desk_app.sandbox.send_photo(
        TOKEN, desk_app.staff, tiny_png(3, 3), "查验现场", chat=desk_app.group, thread=topic.message_thread_id
    )
    await app.handled(photo)
    await _received(sink, 3)
    with_file = sink.received[2]
    assert "查验现场" in with_file.get_body(preferencelist=("plain",)).get_content()
    [attached] = list(with_file.iter_attachments())
    assert attached.get_content_type() == "image/jpeg"
    sent = desk_app.sandbox.file(photo["message"]["photo"][-1]["file_id"])
    assert attached.get_content() == sent.data

    await app.settled()
    async with app.db.session() as session:
        kinds = [
            kind
            for kind in await session.scalars(
                select(ComplaintEvent.kind)
                .where(ComplaintEvent.complaint_id == complaint.id)
                .order_by(ComplaintEvent.id)
            )
        ]
    assert kinds == ["created", "customer_mail", "staff_reply", "staff_reply"]
    assert not [m for m in desk_app.sandbox.messages(desk_app.customer) if complaint.ticket in (m.text or "")]
