"""A person's own data under PIPL: the view, audited consent changes, and one deletion request at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import Role
from portcrm.errors import NotFound
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, ChatUser, Contact, Customer, Notification, PrivacyRequest
from portcrm.services.privacy.rights import (
    DELETION_ALERT,
    Consent,
    mask_phone,
    privacy_view,
    request_deletion,
    set_consent,
)
from tests.factories import make_contact, make_customer, make_staff


async def _linked(session: AsyncSession, telegram_user_id: int, **kw: object) -> Contact:
    customer = await make_customer(session, name="宁波隐私货代有限公司", code=f"P{telegram_user_id}")
    contact = await make_contact(session, customer, telegram_user_id=telegram_user_id, **kw)
    await session.commit()
    return contact


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+8613812345678", "+•••••••••5678"), ("5678", "••••"), ("021-6666 1234", "•••••••1234"), (None, None)],
)
def test_a_phone_is_masked_but_for_its_last_four_digits(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


async def test_the_view_shows_only_the_person_asking(session: AsyncSession) -> None:
    contact = await _linked(session, 7201, name="王芳", phone="+8613812345678", email="wf@example.cn")
    customer = await session.get(Customer, contact.customer_id)
    assert customer is not None
    await make_contact(session, customer, name="同事", telegram_user_id=7211, consent_marketing=True)
    await session.commit()
    view = await privacy_view(session, 7201)
    assert (view.name, view.phone_masked, view.email) == ("王芳", "+•••••••••5678", "wf@example.cn")
    assert view.company == "宁波隐私货代有限公司"
    assert (view.greetings, view.marketing, view.deletion_requested_at) == (False, False, None)
    with pytest.raises(NotFound):
        await privacy_view(session, 7299)


async def test_consent_changes_are_audited_with_who_made_them(session: AsyncSession) -> None:
    contact = await _linked(session, 7202)
    set_actor(session, Actor(label="telegram:7202", source="chat"))
    view = await set_consent(session, 7202, Consent.GREETINGS, True)
    assert (view.greetings, view.marketing) == (True, False)
    view = await set_consent(session, 7202, Consent.MARKETING, True)
    view = await set_consent(session, 7202, Consent.GREETINGS, False)
    assert (view.greetings, view.marketing) == (False, True)
    await set_consent(session, 7202, Consent.MARKETING, True)  # no change: nothing to audit
    entries = (
        await session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.entity == "contacts",
                AuditEntry.entity_id == contact.id,
                AuditEntry.action == "update",
            )
            .where(AuditEntry.field.in_(["consent_greetings", "consent_marketing"]))
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [(e.field, e.old_value, e.new_value, e.actor) for e in entries] == [
        ("consent_greetings", "False", "True", "telegram:7202"),
        ("consent_marketing", "False", "True", "telegram:7202"),
        ("consent_greetings", "True", "False", "telegram:7202"),
    ]


async def test_a_deletion_request_alerts_admins_and_managers_once(session: AsyncSession) -> None:
    contact = await _linked(session, 7203, name="李 <Lei>")
    admin = await make_staff(session, telegram_user_id=7301, roles=(Role.ADMIN, Role.MANAGER))
    manager = await make_staff(session, telegram_user_id=7302, roles=(Role.MANAGER,))
    await make_staff(session, telegram_user_id=7303, roles=(Role.MARKET,))
    await make_staff(session, telegram_user_id=7304, roles=(Role.ADMIN,), active=False)
    session.add(ChatUser(telegram_user_id=7302, telegram_language="zh-hant"))
    session.add(ChatUser(telegram_user_id=7301, locale="en"))
    await session.commit()

    first = await request_deletion(session, 7203, default_locale="zh_CN")
    second = await request_deletion(session, 7203, default_locale="zh_CN")
    assert first.created
    assert not second.created
    assert second.requested_at == first.requested_at
    requests = (await session.scalars(select(PrivacyRequest))).all()
    assert [(r.contact_id, r.telegram_user_id, r.kind, r.handled_at) for r in requests] == [
        (contact.id, 7203, "deletion", None)
    ]
    alerts = (await session.scalars(select(Notification).order_by(Notification.chat_id))).all()
    assert [(a.chat_id, a.staff_id, a.kind) for a in alerts] == [
        (7301, admin.id, "privacy_request"),
        (7302, manager.id, "privacy_request"),
    ]
    title = {locale: gettext_for(locale)(DELETION_ALERT).split("\n")[0] for locale in ("en", "zh_TW")}
    assert alerts[0].text.startswith(title["en"])
    assert alerts[1].text.startswith(title["zh_TW"])
    assert title["zh_TW"] != title["en"]
    assert "李 &lt;Lei&gt;" in alerts[0].text
    await session.refresh(contact)
    assert contact.name == "李 <Lei>", "nothing is deleted before staff handle the request"


async def test_notices_by_email_can_be_chosen_only_with_an_address_and_change_the_route(
    session: AsyncSession,
) -> None:
    from portcrm.services.recipients.channel import by_chat, by_mail

    with_address = await _linked(session, 7231, name="邮件优先", email="mail@example.cn")
    without = await _linked(session, 7232, name="无邮箱")
    assert (by_chat(with_address), by_mail(with_address)) == (True, False)
    view = await set_consent(session, 7231, Consent.EMAIL, True)
    assert view.by_email is True
    await session.refresh(with_address)
    assert (by_chat(with_address), by_mail(with_address)) == (False, True)
    assert (await set_consent(session, 7232, Consent.EMAIL, True)).by_email is False  # nowhere to write
    await session.refresh(without)
    assert by_chat(without) is True
    assert (await set_consent(session, 7231, Consent.EMAIL, False)).by_email is False
