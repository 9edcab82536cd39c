"""/lead and /leads through the real bot: recording a prospect, moving it along, converting it."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.ui.callbacks.leads import LeadConvert, LeadStatusChange
from portcrm.enums import CustomerType, Grade, LeadSource, LeadStatus, Role
from portcrm.i18n import gettext_for
from portcrm.labels import CUSTOMER_TYPE_NAMES, LEAD_SOURCE_NAMES
from portcrm.models import AuditEntry, Contact, Customer, Lead
from portcrm.services.development.leads import LeadDraft, create_lead
from sandbox import SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

REFUSED = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."


async def _press(app: RunningBot, user: SandboxUser, message: SentMessage, button: str | int) -> SentMessage:
    mark = app.sandbox.mark()
    update = app.sandbox.press(TOKEN, user, message, button)
    await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)
    await app.settled()
    return [m for m in app.sandbox.replies(user, mark, token=TOKEN) if m.message_id != message.message_id][-1]


async def _last(app: RunningBot, user: SandboxUser, text: str) -> SentMessage:
    return (await app.say_and_settle(user, text))[-1]


async def _leads(app: RunningBot) -> list[Lead]:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(Lead).order_by(Lead.id)))
        await session.commit()
        return rows


async def _staff(app: RunningBot, user_id: int, roles: tuple[Role, ...] = (Role.MARKET,)) -> int:
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=user_id, roles=roles)
        await session.commit()
        return staff.id


async def test_a_lead_is_recorded_step_by_step_and_a_bad_phone_is_asked_again(app: RunningBot) -> None:
    staff_id = await _staff(app, 4701)
    user = app.user(4701, language_code="en")
    await app.say(user, "/lead")
    kind = await _last(app, user, "Ningbo <New> Port Logistics")
    source = await _press(app, user, kind, "Cargo owner")
    contact = await _press(app, user, source, "Trade fair")
    phone = await _last(app, user, "Wang Li")
    assert phone.text == "Contact phone number? Type it, or press Skip."
    refused = await app.say(user, "12345")
    assert refused.text == "Invalid phone number: 12345"
    volume = await _last(app, user, "138 0013 8000")
    notes = await _press(app, user, volume, "Skip")
    assert notes.text.startswith("Any notes")
    saved = await _last(app, user, "wants rail links to Yiwu")
    assert saved.text.startswith("Lead saved.")
    assert "Ningbo <New> Port Logistics" in saved.text
    [lead] = await _leads(app)
    assert (lead.company_name, lead.customer_type, lead.source) == (
        "Ningbo <New> Port Logistics",
        CustomerType.CARGO_OWNER,
        LeadSource.TRADE_FAIR,
    )
    assert (lead.contact_name, lead.phone, lead.expected_volume_teu) == ("Wang Li", "+8613800138000", None)
    assert (lead.owner_id, lead.status, lead.notes) == (staff_id, LeadStatus.NEW, "wants rail links to Yiwu")
    assert contact.text.startswith("Contact person")


async def test_converting_a_lead_creates_the_customer_its_contact_and_an_audit_trail(app: RunningBot) -> None:
    t = gettext_for("zh_CN")
    staff_id = await _staff(app, 4801)
    async with app.db.session() as session:
        lead = await create_lead(
            session,
            staff_id,
            LeadDraft("舟山新港物流", LeadSource.REFERRAL, None, "王经理", "13800138000", 8000),
        )
        lead_id = lead.id
    user = app.user(4801, language_code="zh-hans")
    listing = await app.say(user, "/leads")
    assert "舟山新港物流" in listing.text
    card = await _press(app, user, listing, 0)
    assert t(LEAD_SOURCE_NAMES[LeadSource.REFERRAL]) in card.text
    card = await app.press(user, card, t("Negotiating"))
    assert (await _leads(app))[0].status == LeadStatus.NEGOTIATING
    await _press(app, user, card, t("Convert to customer"))
    kinds = await _last(app, user, "nbc001")  # the lead has no customer type yet: asked now
    done = await _press(app, user, kinds, t(CUSTOMER_TYPE_NAMES[CustomerType.FORWARDER]))
    assert "NBC001" in done.text
    async with app.db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.code == "NBC001"))
        assert customer is not None
        assert (customer.name, customer.grade, customer.type) == (
            "舟山新港物流",
            Grade.C,
            CustomerType.FORWARDER,
        )
        assert customer.account_manager_id == staff_id
        contact = await session.scalar(select(Contact).where(Contact.customer_id == customer.id))
        assert contact is not None
        assert (contact.name, contact.phone, contact.is_primary) == ("王经理", "+8613800138000", True)
        lead = await session.get(Lead, lead_id)
        assert lead is not None
        assert (lead.status, lead.converted_customer_id) == (LeadStatus.WON, customer.id)
        trail = list(await session.scalars(select(AuditEntry).where(AuditEntry.customer_id == customer.id)))
        await session.commit()
    assert {e.entity for e in trail} == {"customers", "contacts"}
    assert {e.staff_id for e in trail} == {staff_id}


async def test_a_taken_code_is_refused_and_can_be_typed_again(app: RunningBot) -> None:
    staff_id = await _staff(app, 4851)
    async with app.db.session() as session:
        await make_customer(session, code="TAKEN9")
        await create_lead(
            session, staff_id, LeadDraft("Taken Co", LeadSource.ONLINE, CustomerType.SHIPPING_LINE)
        )
        await session.commit()
    user = app.user(4851, language_code="en")
    card = await _press(app, user, await app.say(user, "/leads"), 0)
    await _press(app, user, card, "Convert to customer")
    assert (await app.say(user, "taken9")).text == "The customer code TAKEN9 is already taken."
    done = await app.say(user, "SHIP01")
    assert "SHIP01" in done.text
    assert (await _leads(app))[0].status == LeadStatus.WON


async def test_other_roles_and_other_marketers_cannot_touch_leads(app: RunningBot) -> None:
    owner_id = await _staff(app, 4901)
    await _staff(app, 4902)  # another marketer
    await _staff(app, 4903, (Role.OPERATIONS,))
    await _staff(app, 4904, (Role.FINANCE,))
    async with app.db.session() as session:
        lead = await create_lead(
            session, owner_id, LeadDraft("Secret Co", LeadSource.OTHER, CustomerType.FORWARDER)
        )
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=4905)
        await session.commit()
    for user_id, language in ((4903, "en"), (4904, "zh-hans"), (4905, "zh-hans"), (4906, "en")):
        user = app.user(user_id, language_code=language)
        locale = "en" if language == "en" else "zh_CN"
        for command in ("/lead", "/leads"):
            assert (await app.say(user, command)).text == gettext_for(locale)(REFUSED)
        menu = await app.say(user, "/help")
        for data in (LeadConvert(lead_id=lead.id), LeadStatusChange(lead_id=lead.id, status=LeadStatus.LOST)):
            answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, user, menu, data.pack()))
            assert answer.text == gettext_for(locale)(STALE)
    other = app.user(4902, language_code="en")
    listing = await app.say(other, "/leads")
    assert "Secret Co" not in listing.text
    answer = await app.sandbox.wait_for_answer(
        app.sandbox.press_data(
            TOKEN, other, listing, LeadStatusChange(lead_id=lead.id, status=LeadStatus.LOST).pack()
        )
    )
    assert answer.text == "That lead was not found, or it is no longer open."
    [unchanged] = await _leads(app)
    assert unchanged.status == LeadStatus.NEW
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 1
        await session.commit()
