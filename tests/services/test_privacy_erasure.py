"""Executing a deletion request: every trace of the person goes, the company's records stay, admins only."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import (
    ComplaintCategory,
    ContactMethod,
    LeadSource,
    LeadStatus,
    MailStatus,
    NotificationStatus,
    Role,
    SurveyKind,
)
from portcrm.errors import Conflict, Forbidden, NotFound
from portcrm.i18n import gettext_for
from portcrm.labels import ERASED_NAME
from portcrm.models import (
    AuditEntry,
    Base,
    ChatUser,
    Complaint,
    ComplaintEvent,
    Contact,
    Customer,
    Invite,
    Invoice,
    Lead,
    MailRecord,
    Notification,
    OutgoingMail,
    OutgoingMailAttachment,
    Payment,
    PrivacyRequest,
    ReceivedUpdate,
    Shipment,
    ShipmentSubscription,
    Survey,
    Visit,
)
from portcrm.models.audit import ERASED_MARKER
from portcrm.models.base import utcnow
from portcrm.services.archive.edits import contacts_of, update_contact_field
from portcrm.services.archive.fields import Editor
from portcrm.services.care.inquiries import submit_inquiry
from portcrm.services.identity.invites import create_invite, create_invite_for_contact, invite_candidates
from portcrm.services.privacy.erasure import ERASED_CONTACT, ERASED_NOTICE, erase_contact
from portcrm.services.privacy.rights import execute_deletion, open_deletion, open_deletions, request_deletion
from tests.factories import make_contact, make_customer, make_invoice, make_shipment, make_staff

NAME, PHONE, EMAIL = "欧阳娜娜", "+8613912345678", "nana.ouyang@example.cn"
TRACES = (NAME, PHONE, "13912345678", EMAIL)
PERSON = 7601


@dataclass
class World:
    contact_id: int
    colleague_id: int
    customer_id: int
    admin_id: int
    manager_id: int
    marketer_id: int
    request_id: int


def traces_in_database(rows: dict[str, list[dict[str, Any]]], traces: tuple[str, ...] = TRACES) -> list[str]:
    """Every (table.column) whose text, JSON included, still holds one of the person's values."""
    found = []
    for table, records in rows.items():
        for record in records:
            for column, value in record.items():
                if isinstance(value, dict | list):
                    value = json.dumps(value, ensure_ascii=False)
                if isinstance(value, str) and any(trace in value for trace in traces):
                    found.append(f"{table}.{column}: {value[:80]}")
    return found


async def every_row(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    rows = {}
    for table in Base.metadata.sorted_tables:
        query = select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [dict(r._mapping) for r in await session.execute(query)]
    await session.commit()
    return rows


async def _world(session: AsyncSession) -> World:
    """A linked person with data in every corner, a colleague, the company's ledgers, and staff."""
    admin = await make_staff(session, telegram_user_id=7611, roles=(Role.ADMIN,))
    manager = await make_staff(session, telegram_user_id=7612, roles=(Role.MANAGER,))
    marketer = await make_staff(session, telegram_user_id=7613, roles=(Role.MARKET,))
    customer = await make_customer(session, name="宁波擦除货代有限公司", account_manager_id=marketer.id)
    set_actor(session, Actor(label=f"staff:{marketer.id}", source="chat", staff_id=marketer.id))
    contact = await make_contact(
        session,
        customer,
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        title="Export manager",
        birthday=dt.date(1990, 5, 17),
        locale="en",
        notes=f"Prefers WeChat; {NAME} plays golf",
        interests="golf",
        telegram_user_id=PERSON,
        consent_greetings=True,
        consent_marketing=True,
        is_billing=True,
    )
    await session.flush()
    contact.title = "Logistics director"  # an edit: the audit log now holds old and new personal values
    colleague = await make_contact(session, customer, name="李四", phone="+8613987654321", is_primary=False)
    session.add(ChatUser(telegram_user_id=PERSON, first_name="Nana", username="nana_oy", locale="en"))
    shipment = await make_shipment(session, customer)
    invoice = await make_invoice(session, customer, amount=Decimal("8800.00"), shipment_id=shipment.id)
    session.add(
        Payment(
            reference="PAY-7601",
            customer_id=customer.id,
            invoice_id=invoice.id,
            paid_on=dt.date(2026, 10, 20),
            amount=Decimal("800.00"),
            currency="CNY",
        )
    )
    session.add(ShipmentSubscription(contact_id=contact.id, shipment_id=shipment.id))
    complaint = Complaint(
        ticket="CP-2026-7601",
        customer_id=customer.id,
        contact_id=contact.id,
        category=ComplaintCategory.DELAY,
        department=Role.OPERATIONS,
        shipment_id=shipment.id,
        description=f"Container late by 3 days. Call me ({NAME}) on 13912345678.",
        satisfaction_comment="Slow, but solved.",
    )
    session.add(complaint)
    await session.flush()
    session.add(ComplaintEvent(complaint_id=complaint.id, kind="note", contact_id=contact.id, text=EMAIL))
    session.add(
        Visit(
            customer_id=customer.id,
            staff_id=marketer.id,
            contact_id=contact.id,
            method=ContactMethod.ON_SITE,
            occurred_at=utcnow(),
            notes=f"Met {NAME} and 李四 about next year's volume",
        )
    )
    session.add(
        Lead(
            company_name="宁波擦除货代有限公司",
            source=LeadSource.TRADE_FAIR,
            contact_name=NAME,
            phone=PHONE,
            status=LeadStatus.WON,
            converted_customer_id=customer.id,
        )
    )
    session.add(
        Survey(customer_id=customer.id, contact_id=contact.id, kind=SurveyKind.PERIODIC, period="2026Q3")
    )
    session.add(
        Invite(
            code="inv-7601",
            contact_id=contact.id,
            expires_at=utcnow(),
            used_at=utcnow(),
            used_by_telegram_id=PERSON,
        )
    )
    session.add(
        Notification(
            idempotency_key="greeting:7601",
            kind="birthday",
            chat_id=PERSON,
            contact_id=contact.id,
            text=f"Dear {NAME}, happy birthday!",
        )
    )
    session.add(  # waiting for them to unblock the bot: must not reach them later
        Notification(
            idempotency_key="survey:7601",
            kind="survey",
            chat_id=PERSON,
            contact_id=contact.id,
            text=f"Dear {NAME}, how did we do?",
            status=NotificationStatus.PARKED,
        )
    )
    session.add(
        Notification(
            idempotency_key="statement:7601",
            kind="statement",
            chat_id=PERSON,
            contact_id=contact.id,
            text=f"Dear {NAME}, your statement",
            status=NotificationStatus.SENT,
        )
    )
    session.add(  # their mail to the complaint mailbox, and ours to them: sent, and one still to go
        MailRecord(
            inbound=True,
            message_id="<m1@example.cn>",
            contact_id=None,  # an unknown sender's mail is kept by address only
            from_address=EMAIL.upper(),
            from_name=NAME,
            to_address="complaints@port.example",
            subject=f"{NAME}: damaged boxes",
            body=f"Call me on {PHONE}",
            status=MailStatus.UNKNOWN_SENDER,
        )
    )
    pending_mail = OutgoingMail(
        idempotency_key="dunning-mail:7601",
        kind="dunning",
        message_id="<o1@mail.portcrm>",
        to_address=EMAIL,
        to_name=NAME,
        subject=f"Dear {NAME}",
        body=f"Dear {NAME}, please pay",
        contact_id=contact.id,
    )
    session.add(pending_mail)
    await session.flush()
    session.add(
        OutgoingMailAttachment(
            mail_id=pending_mail.id, file_name=f"{NAME}.xlsx", mime_type="application/xlsx", content=b"x"
        )
    )
    person_says = {
        "update_id": 1,
        "message": {"from": {"id": PERSON, "first_name": "Nana"}, "text": "/privacy"},
    }
    colleague_searched = {"update_id": 2, "message": {"from": {"id": 7613}, "text": f"/find {NAME}"}}
    unrelated = {"update_id": 3, "message": {"from": {"id": 7612}, "text": "/whoami"}}
    for payload in (person_says, colleague_searched, unrelated):
        session.add(ReceivedUpdate(update_id=payload["update_id"], payload=payload, handled_at=utcnow()))
    await session.commit()
    await submit_inquiry(
        session, customer.id, contact.id, f"Please call me back on {PHONE}", default_locale="zh_CN"
    )
    await request_deletion(session, PERSON, default_locale="zh_CN")
    request_id = await session.scalar(select(PrivacyRequest.id))
    await session.commit()
    assert request_id is not None
    return World(contact.id, colleague.id, customer.id, admin.id, manager.id, marketer.id, request_id)


async def test_erasure_leaves_no_trace_of_the_person_and_keeps_the_ledgers(session: AsyncSession) -> None:
    world = await _world(session)
    before = await every_row(session)
    assert len(traces_in_database(before)) > 15, "the world must hold the person's data everywhere first"
    ledgers = {t: before[t] for t in ("invoices", "payments", "shipments", "containers", "cargo_events")}

    erasure = await execute_deletion(session, world.request_id, world.manager_id, default_locale="zh_CN")

    after = await every_row(session)
    assert traces_in_database(after) == []
    [their_mail] = after["mail_log"]  # found by address whatever its case, and kept without it
    assert (their_mail["from_address"], their_mail["from_name"], their_mail["body"]) == (
        ERASED_MARKER,
        None,
        ERASED_MARKER,
    )
    [our_mail] = after["outgoing_mails"]
    assert (our_mail["status"], our_mail["to_address"]) == (NotificationStatus.UNREACHABLE, ERASED_MARKER)
    assert after["outgoing_mail_attachments"] == []
    assert erasure.telegram_user_ids == (PERSON,)
    assert erasure.label == ERASED_NAME.format(id=world.contact_id), "in no language: each edge names it"
    # the company's ledgers are untouched, the records that point at the person are still there
    assert {t: after[t] for t in ledgers} == ledgers
    for table in ("complaints", "complaint_events", "visits", "surveys", "inquiries", "leads"):
        assert len(after[table]) == len(before[table]), table
    [complaint] = after["complaints"]
    assert complaint["description"] == (
        f"Container late by 3 days. Call me ({erasure.label}) on {ERASED_MARKER}."
    )
    assert (complaint["contact_id"], complaint["satisfaction_comment"]) == (
        world.contact_id,
        "Slow, but solved.",
    )
    # the audit log keeps every row, each unchanged but for the values
    old_audit, new_audit = before["audit_log"], after["audit_log"]
    assert len(new_audit) == len(old_audit) + 1
    assert [{k: v for k, v in r.items() if not k.endswith("_value")} for r in new_audit[:-1]] == [
        {k: v for k, v in r.items() if not k.endswith("_value")} for r in old_audit
    ]
    erase_row = new_audit[-1]
    assert (erase_row["action"], erase_row["actor"], erase_row["staff_id"], erase_row["entity_id"]) == (
        "erase",
        f"staff:{world.manager_id}",
        world.manager_id,
        world.contact_id,
    )
    assert (erase_row["old_value"], erase_row["new_value"]) == (None, None)
    about_person = [r for r in new_audit if r["entity"] == "contacts" and r["entity_id"] == world.contact_id]
    assert {r["new_value"] for r in about_person} <= {ERASED_MARKER, None}
    about_colleague = [r for r in new_audit if r["entity_id"] == world.colleague_id and r["field"] == "name"]
    assert [r["new_value"] for r in about_colleague] == ["李四"], "a colleague's history is theirs"


async def test_erasure_unlinks_the_person_closes_the_request_and_tells_them(session: AsyncSession) -> None:
    world = await _world(session)
    await execute_deletion(session, world.request_id, world.admin_id, default_locale="zh_CN")

    contact = await session.get(Contact, world.contact_id)
    assert contact is not None
    await session.refresh(contact)
    assert contact.erased_at is not None
    assert (contact.name, contact.phone, contact.email, contact.birthday, contact.telegram_user_id) == (
        ERASED_NAME.format(id=world.contact_id),
        None,
        None,
        None,
        None,
    )
    assert (contact.consent_greetings, contact.consent_marketing, contact.is_billing) == (False, False, False)
    assert await session.get(ChatUser, PERSON) is None
    for model in (ShipmentSubscription, Invite):
        assert await session.scalar(select(func.count()).select_from(model)) == 0
    assert [u.update_id for u in await session.scalars(select(ReceivedUpdate))] == [3]
    request = await session.get(PrivacyRequest, world.request_id)
    assert request is not None
    assert (request.handled_by_id, request.telegram_user_id) == (world.admin_id, 0)
    assert request.handled_at is not None
    assert await open_deletions(session, world.admin_id) == []

    to_person = list(
        await session.scalars(
            select(Notification).where(Notification.chat_id == PERSON).order_by(Notification.id)
        )
    )
    assert [(n.kind, n.status, n.text) for n in to_person] == [
        ("birthday", NotificationStatus.UNREACHABLE, ERASED_MARKER),
        ("survey", NotificationStatus.UNREACHABLE, ERASED_MARKER),
        ("statement", NotificationStatus.SENT, ERASED_MARKER),
        ("privacy_erased", NotificationStatus.PENDING, gettext_for("en")(ERASED_NOTICE)),
    ]
    alert = await session.scalar(select(Notification).where(Notification.kind == "privacy_request"))
    assert alert is not None
    assert ERASED_NAME.format(id=world.contact_id) in alert.text, "staff alerts keep their sense"
    assert alert.reply_markup is not None


@pytest.mark.parametrize("who", ["marketer", "inactive admin", "nobody"])
async def test_only_admins_and_managers_may_erase(session: AsyncSession, who: str) -> None:
    world = await _world(session)
    staff_id = {
        "marketer": world.marketer_id,
        "inactive admin": (await make_staff(session, roles=(Role.ADMIN,), active=False)).id,
        "nobody": 999_999,
    }[who]
    await session.commit()
    before = await every_row(session)
    with pytest.raises(Forbidden):
        await execute_deletion(session, world.request_id, staff_id, default_locale="zh_CN")
    with pytest.raises(Forbidden):
        await erase_contact(session, world.contact_id, staff_id, default_locale="zh_CN")
    with pytest.raises(Forbidden):
        await open_deletions(session, staff_id)
    with pytest.raises(Forbidden):
        await open_deletion(session, world.request_id, staff_id)
    assert await every_row(session) == before


async def test_a_request_is_executed_once(session: AsyncSession) -> None:
    world = await _world(session)
    [waiting] = await open_deletions(session, world.manager_id)
    assert (waiting.request_id, waiting.contact, waiting.code) == (world.request_id, NAME, waiting.code)
    await execute_deletion(session, world.request_id, world.manager_id, default_locale="zh_CN")
    with pytest.raises(Conflict):
        await execute_deletion(session, world.request_id, world.admin_id, default_locale="zh_CN")
    with pytest.raises(Conflict):
        await erase_contact(session, world.contact_id, world.admin_id, default_locale="zh_CN")
    erasures = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "erase")
    )
    assert erasures == 1
    assert await session.scalar(select(func.count()).select_from(Invoice)) == 1
    assert await session.scalar(select(func.count()).select_from(Shipment)) == 1


async def test_an_erased_contact_cannot_be_invited_edited_or_listed_again(session: AsyncSession) -> None:
    world = await _world(session)
    await execute_deletion(session, world.request_id, world.admin_id, default_locale="zh_CN")
    customer = await session.get(Customer, world.customer_id)
    assert customer is not None
    code = customer.code
    marketer = Editor(staff_id=world.marketer_id, roles=frozenset({Role.MARKET}))
    before = await every_row(session)

    with pytest.raises(NotFound) as refused:
        await create_invite_for_contact(session, world.contact_id, ttl=dt.timedelta(days=1))
    assert refused.value.message == ERASED_CONTACT
    with pytest.raises(NotFound):
        await update_contact_field(session, world.contact_id, "phone", "+86 138 0013 8000", marketer)
    _, candidates = await invite_candidates(session, code)
    _, listed = await contacts_of(session, code, marketer)
    assert world.contact_id not in {c.id for c in candidates} | {c.id for c in listed}
    assert world.colleague_id in {c.id for c in listed}, "the colleague is still there"
    assert await every_row(session) == before, "a refused edit or invite changes nothing"
    _, contact, _ = await create_invite(session, code, ttl=dt.timedelta(days=1))
    assert contact.id == world.colleague_id, "the primary-contact default skips the erased one"
