"""A customer's history from the audit log: an entry per change, names read now, each department its part."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.audit import Actor, set_actor
from portcrm.enums import CustomerStatus, CustomerType, Grade, Role
from portcrm.labels import HISTORY_FIELD_NAMES
from portcrm.models import AuditEntry, Customer, Staff
from portcrm.models.audit import ERASED_MARKER
from portcrm.services.archive.cards import GradeReason, may_see_finances, may_see_phones
from portcrm.services.archive.fields import Section
from portcrm.services.archive.history import (
    ENTRY_FIELDS,
    PAGE_ENTRIES,
    SECTIONS,
    NotYourSection,
    customer_history,
    readable_sections,
    section_of,
)
from portcrm.services.archive.history_values import ActorKind, Erased, Ref, typed
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.credit import set_limit
from tests.factories import make_contact, make_customer, make_staff

LATER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)  # after the rows the factories log as they create
TODAY = dt.date(2026, 11, 20)


def _viewer(staff: Staff) -> Identity:
    return Identity(
        telegram_user_id=staff.telegram_user_id or 0, locale="en", roles=staff.role_set, staff_id=staff.id
    )


async def _people(session: AsyncSession) -> tuple[Customer, dict[str, Identity]]:
    people = {
        "account manager": await make_staff(session, roles=(Role.OPERATIONS,), name="李客户经理"),
        "market": await make_staff(session, roles=(Role.MARKET,)),
        "operations": await make_staff(session, roles=(Role.OPERATIONS,)),
        "finance": await make_staff(session, roles=(Role.FINANCE,), name="赵财务"),
        "manager": await make_staff(session, roles=(Role.MANAGER,)),
        "admin": await make_staff(session, roles=(Role.ADMIN,)),
    }
    customer = await make_customer(session, account_manager_id=people["account manager"].id)
    await session.commit()
    return customer, {key: _viewer(staff) for key, staff in people.items()}


def _row(customer_id: int, n: int, **kw: object) -> AuditEntry:
    values: dict[str, object] = {
        "at": LATER + dt.timedelta(minutes=n),
        "actor": "system",
        "source": "system",
        "entity": "customers",
        "entity_id": customer_id,
        "customer_id": customer_id,
        "action": "update",
        "field": "address",
        "old_value": None,
        "new_value": f"address {n}",
    }
    return AuditEntry(**{**values, **kw})


async def test_a_credit_limit_set_is_one_entry_with_its_fields_and_the_actor_by_name(
    session: AsyncSession,
) -> None:
    customer, viewers = await _people(session)
    finance = viewers["finance"]
    assert finance.staff_id is not None
    await set_limit(
        session, customer.code, Decimal("800000"), "CNY", "年度复核", staff_id=finance.staff_id, today=TODAY
    )
    page = await customer_history(session, finance, customer.id)
    entry = page.entries[0]
    assert (entry.entity, entry.action, entry.actor.kind) == ("credit_limits", "create", ActorKind.STAFF)
    assert entry.actor.ref == Ref("staff", finance.staff_id, "赵财务")
    assert [(c.field, c.old, c.new) for c in entry.changes] == [
        ("amount", None, Decimal("800000")),
        ("currency", None, "CNY"),
        ("effective_from", None, TODAY),
        ("set_by_id", None, Ref("staff", finance.staff_id, "赵财务")),
        ("reason", None, "年度复核"),
    ], "in the table's order, this customer unsaid"
    assert [e.entity for e in page.entries].count("credit_limits") == 1


async def test_names_are_read_now_and_rows_since_deleted_keep_their_id(session: AsyncSession) -> None:
    customer, viewers = await _people(session)
    manager = viewers["manager"]
    old_am, new_am = await make_staff(session, name="王五"), await make_staff(session, name="张三")
    set_actor(session, Actor(label=f"staff:{old_am.id}", source="chat", staff_id=old_am.id))
    customer.account_manager_id = new_am.id
    await session.flush()
    session.add(
        _row(customer.id, 1, entity="payments", entity_id=987654, field="invoice_id", new_value="987653")
    )
    await session.commit()
    new_am.name, old_am.name = (
        "张三丰",
        "王五六",
    )  # renamed after the change: the history shows the names of now
    await session.commit()
    first, second = (await customer_history(session, manager, customer.id)).entries[:2]
    assert first.record == Ref("payments", 987654, None), "a payment since deleted"
    assert [(c.field, c.new) for c in first.changes] == [("invoice_id", Ref("invoices", 987653, None))]
    [change] = second.changes
    assert (change.field, change.new) == ("account_manager_id", Ref("staff", new_am.id, "张三丰"))
    assert second.actor.ref == Ref("staff", old_am.id, "王五六")


@pytest.mark.parametrize(
    ("viewer", "sections"),
    [
        ("market", {Section.BASIC, Section.CONTACT}),
        ("operations", {Section.BUSINESS}),
        ("finance", {Section.FINANCIAL}),
        ("manager", set(SECTIONS)),
        ("account manager", set(SECTIONS)),  # an operations colleague, but the customer's own manager
        ("admin", set()),
    ],
)
async def test_each_department_reads_the_sections_it_keeps(
    session: AsyncSession, viewer: str, sections: set[Section]
) -> None:
    customer, viewers = await _people(session)
    identity = viewers[viewer]
    readable = set(readable_sections(identity, customer.account_manager_id))
    assert readable == sections
    # the card's rules for finances and phones say the same
    assert (Section.FINANCIAL in readable) == may_see_finances(identity, customer.account_manager_id)
    if Section.CONTACT in readable:
        assert may_see_phones(identity, customer.account_manager_id)
    page = await customer_history(session, identity, customer.id)
    assert set(page.sections) == sections
    assert set(page.hidden) == set(SECTIONS) - sections
    assert {section_of(e.entity, c.field) for e in page.entries for c in e.changes} <= sections


async def test_a_section_not_theirs_is_refused_whatever_is_asked(session: AsyncSession) -> None:
    customer, viewers = await _people(session)
    customer_id = customer.id
    for viewer, section in (("market", Section.FINANCIAL), ("operations", Section.CONTACT), ("admin", None)):
        if section is None:
            assert (await customer_history(session, viewers[viewer], customer_id)).entries == ()
            continue
        with pytest.raises(NotYourSection):
            await customer_history(session, viewers[viewer], customer_id, section=section)


async def test_every_recorded_field_is_in_exactly_one_section(session: AsyncSession) -> None:
    customer, viewers = await _people(session)
    fields = [(entity, field) for entity, labels in HISTORY_FIELD_NAMES.items() for field in labels]
    session.add_all(
        _row(
            customer.id,
            n,
            entity=entity,
            entity_id=customer.id if entity == "customers" else 10_000 + n,
            field=field,
        )
        for n, (entity, field) in enumerate(fields)
    )
    await session.commit()
    found: dict[tuple[str, str], list[Section]] = {}
    for section in SECTIONS:
        page, shown = 0, []
        while True:
            history = await customer_history(session, viewers["manager"], customer.id, page, section)
            shown += [(e.entity, c.field) for e in history.entries if e.at >= LATER for c in e.changes]
            if history.page == history.pages - 1:
                break
            page += 1
        for key in shown:
            found.setdefault(key, []).append(section)
    assert found == {key: [section_of(*key)] for key in fields}


async def test_pages_hold_whole_changes_newest_first(session: AsyncSession) -> None:
    customer, viewers = await _people(session)
    # 30 changes of one field each, then one record added with more fields than an entry lists
    session.add_all(_row(customer.id, n, actor=f"editor {n}", source="other") for n in range(30))
    many = [c.name for c in Customer.__table__.c][: ENTRY_FIELDS + 3]
    session.add_all(
        _row(customer.id, 100, actor="importer", source="other", action="create", field=field, new_value="x")
        for field in many
    )
    await session.commit()
    first = await customer_history(session, viewers["manager"], customer.id)
    # the big entry takes 1 + 24 of a page's 30 lines: two more small ones fit
    assert [e.actor.name for e in first.entries] == ["importer", "editor 29", "editor 28"]
    assert (len(first.entries[0].changes), first.entries[0].more) == (ENTRY_FIELDS, 3)
    newest = [
        e.at
        for p in range(first.pages)
        for e in (await customer_history(session, viewers["manager"], customer.id, p)).entries
    ]
    assert newest == sorted(newest, reverse=True), "newest first, across pages"
    assert len(newest) == first.total == 31 + 1  # and the customer's creation by the factory
    second = await customer_history(session, viewers["manager"], customer.id, 1)
    assert len(second.entries) == PAGE_ENTRIES
    assert [e.actor.name for e in second.entries] == [f"editor {n}" for n in range(27, 27 - PAGE_ENTRIES, -1)]
    beyond = await customer_history(session, viewers["manager"], customer.id, page=99)
    assert beyond.page == first.pages - 1, "a page beyond the last gives the last, for the caller to refuse"


async def test_actors_are_named_in_words_and_contacts_by_their_name_now(session: AsyncSession) -> None:
    customer, viewers = await _people(session)
    await make_contact(session, customer, name="王经理", telegram_user_id=7202)
    actors = [
        ("system", "system", ActorKind.SYSTEM, None),
        ("import:customers.xlsx", "import", ActorKind.IMPORT, "customers.xlsx"),
        ("feed", "feed", ActorKind.FEED, None),
        ("demo seed", "demo", ActorKind.DEMO, None),
        ("cli", "cli", ActorKind.CLI, None),
        ("telegram:7202", "chat", ActorKind.CONTACT, "王经理"),
        ("telegram:7203", "chat", ActorKind.CHAT_USER, None),  # no contact linked to it now
        ("someone", "elsewhere", ActorKind.OTHER, "someone"),
    ]
    session.add_all(_row(customer.id, n, actor=a, source=s) for n, (a, s, _k, _n) in enumerate(actors))
    await session.commit()
    page = await customer_history(session, viewers["manager"], customer.id)
    read = [(e.actor.kind, e.actor.name) for e in reversed(page.entries) if e.at >= LATER]
    assert read == [(kind, name) for _a, _s, kind, name in actors]


def test_stored_text_is_read_back_as_the_columns_type() -> None:
    reasons = str([{"text": "Volume", "msgid": "Volume {teu} TEU", "params": {"teu": 5}}, "junk"])
    cases = [
        ("customers", "type", "cargo_owner", CustomerType.CARGO_OWNER),
        ("customers", "status", "suspended", CustomerStatus.SUSPENDED),
        ("customers", "grade", "A", Grade.A),
        ("customers", "founded_on", "2001-02-03", dt.date(2001, 2, 3)),
        (
            "customers",
            "graded_at",
            "2026-03-01T01:30:00.123456+00:00",
            dt.datetime(2026, 3, 1, 1, 30, 0, 123456, dt.UTC),
        ),
        ("customers", "registered_capital", "1250000.50", Decimal("1250000.50")),
        ("customers", "annual_volume_teu", "12000", 12000),
        ("customers", "account_manager_id", "4", Ref("staff", 4)),
        ("customers", "grade_reasons", reasons, (GradeReason("Volume", "Volume {teu} TEU", {"teu": 5}),)),
        ("customers", "grade_reasons", "[{'text': ", "[{'text': "),  # no longer parses: shown as it is
        ("contacts", "is_primary", "True", True),
        ("contacts", "name", ERASED_MARKER, Erased.VALUE),
        ("contacts", "customer_id", "7", Ref("customers", 7)),
        ("payments", "method", "bank_transfer", "bank_transfer"),
        ("payments", "invoice_id", "not a number", "not a number"),
        ("customers", "founded_on", "someday", "someday"),
        ("no_such_table", "field", "value", "value"),
    ]
    for table, field, raw, expected in cases:
        assert typed(table, field, raw) == expected, (table, field, raw)
    assert typed("customers", "address", None) is None
