"""The customer card: what each viewer may see of a customer's finances and contacts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, ComplaintCategory, ComplaintStatus, ContactMethod, Role
from portcrm.models import Complaint, CreditLimit, Customer, Staff, Visit
from portcrm.services.archive.cards import CustomerNotFound, customer_card
from portcrm.services.archive.history import customer_history
from portcrm.services.identity.users import Identity
from tests.factories import make_contact, make_customer, make_invoice, make_shipment, make_staff

TODAY = dt.date(2026, 11, 20)
AT = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)


def _viewer(staff: Staff) -> Identity:
    return Identity(
        telegram_user_id=staff.telegram_user_id or 0, locale="en", roles=staff.role_set, staff_id=staff.id
    )


async def _customer(session: AsyncSession) -> tuple[Customer, dict[str, Identity]]:
    people = {
        "manager_of_account": await make_staff(session, roles=(Role.MARKET,), name="李客户经理"),
        "market": await make_staff(session, roles=(Role.MARKET,)),
        "operations": await make_staff(session, roles=(Role.OPERATIONS,)),
        "finance": await make_staff(session, roles=(Role.FINANCE,)),
        "manager": await make_staff(session, roles=(Role.MANAGER,)),
    }
    customer = await make_customer(
        session,
        name="宁波远洋运输有限公司",
        account_manager_id=people["manager_of_account"].id,
        grade_reasons=[
            {"text": "Volume 12000 TEU", "msgid": "Volume {teu} TEU", "params": {"teu": "12000"}},
            {"text": "Long cooperation"},
        ],
    )
    await make_contact(session, customer, name="王经理", title="总经理", phone="+8613857412345")
    await make_invoice(session, customer, due_on=TODAY - dt.timedelta(days=5), amount=Decimal("1000.00"))
    await make_invoice(session, customer, due_on=TODAY + dt.timedelta(days=5), amount=Decimal("500.00"))
    session.add(
        CreditLimit(customer_id=customer.id, amount=Decimal("5000"), currency="CNY", effective_from=TODAY)
    )
    for n in range(4):
        session.add(
            Complaint(
                ticket=f"CP-2026-{n:04d}",
                customer_id=customer.id,
                category=ComplaintCategory.DELAY,
                department=Role.OPERATIONS,
                description="late",
                status=ComplaintStatus.INVESTIGATING if n else ComplaintStatus.CLOSED,
                created_at=AT + dt.timedelta(days=n),
            )
        )
    for n in range(5):
        await make_shipment(session, customer, completed=n == 0, status=CargoEventType.LOADED)
    session.add(
        Visit(
            customer_id=customer.id,
            staff_id=people["market"].id,
            method=ContactMethod.ON_SITE,
            occurred_at=AT,
            notes="tea",
            next_revisit_on=dt.date(2026, 12, 1),
        )
    )
    await session.commit()
    return customer, {key: _viewer(staff) for key, staff in people.items()}


async def test_the_card_sums_up_the_relationship(session: AsyncSession) -> None:
    customer, viewers = await _customer(session)
    card = await customer_card(session, viewers["market"], customer.id, TODAY)
    assert card.name == "宁波远洋运输有限公司"
    assert card.account_manager == "李客户经理"
    assert [(r.msgid, r.params, r.text) for r in card.grade_reasons] == [
        ("Volume {teu} TEU", {"teu": "12000"}, "Volume 12000 TEU"),
        (None, {}, "Long cooperation"),
    ]
    assert card.open_complaints == 3
    assert [c.ticket for c in card.complaints] == ["CP-2026-0003", "CP-2026-0002", "CP-2026-0001"]
    assert card.active_shipments == 4
    assert len(card.shipments) == 3
    assert card.last_visit is not None
    assert card.last_visit.method == ContactMethod.ON_SITE
    assert card.next_revisit_on == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("viewer", "sees_finances", "sees_phone"),
    [
        ("market", False, True),
        ("operations", False, False),
        ("manager_of_account", True, True),
        ("finance", True, False),
        ("manager", True, True),
    ],
)
async def test_finances_and_phones_only_for_those_entitled(
    session: AsyncSession, viewer: str, sees_finances: bool, sees_phone: bool
) -> None:
    customer, viewers = await _customer(session)
    card = await customer_card(session, viewers[viewer], customer.id, TODAY)
    assert (card.receivables is not None) == sees_finances
    if card.receivables is not None:
        [total] = card.receivables.totals
        assert (total.outstanding, total.overdue) == (Decimal("1500.00"), Decimal("1000.00"))
        assert card.receivables.credit is not None
        assert card.receivables.credit.available == Decimal("3500.00")
    assert card.contacts[0].phone == ("+8613857412345" if sees_phone else "****2345")


async def test_customers_and_forged_ids_find_no_card(session: AsyncSession) -> None:
    customer, viewers = await _customer(session)
    customer_id = customer.id  # a refusal rolls back, which expires the loaded objects
    contact = await make_contact(session, customer, telegram_user_id=777)
    await session.commit()
    as_customer = Identity(telegram_user_id=777, locale="en", contact_id=contact.id, customer_id=customer_id)
    with pytest.raises(CustomerNotFound):
        await customer_card(session, as_customer, customer_id, TODAY)
    with pytest.raises(CustomerNotFound):
        await customer_history(session, as_customer, customer_id)
    for forged in (0, -1, 10**6, 2**70):
        with pytest.raises(CustomerNotFound):
            await customer_card(session, viewers["manager"], forged, TODAY)
