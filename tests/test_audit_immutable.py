"""The audit log cannot be edited from any interface: the database itself refuses, on both backends.

Raw SQL, as a shell or a script would send it; the one edit allowed is erasing the values of rows about
a contact whose data was erased.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.models.audit import ERASED_MARKER
from tests.factories import make_contact, make_customer


async def _contacts_with_history(session: AsyncSession) -> tuple[int, int]:
    """Two contacts; the audit hook logs their creation and one edit, values included."""
    customer = await make_customer(session)
    person = await make_contact(session, customer, name="王芳", email="wf@example.cn")
    other = await make_contact(session, customer, name="李四", is_primary=False)
    await session.flush()
    person.title = "Director"
    await session.commit()
    return person.id, other.id


async def _refused(session: AsyncSession, sql: str, **params: object) -> None:
    with pytest.raises(IntegrityError, match="append-only"):
        await session.execute(text(sql), params)
    await session.rollback()


async def _values(session: AsyncSession, contact_id: int) -> list[tuple[str, str | None, str | None]]:
    rows = await session.execute(
        text(
            "SELECT field, old_value, new_value FROM audit_log "
            "WHERE entity = 'contacts' AND entity_id = :id ORDER BY id"
        ),
        {"id": contact_id},
    )
    result = [tuple(row) for row in rows]
    await session.commit()
    return result  # type: ignore[return-value]


async def test_no_row_of_the_audit_log_can_be_updated_or_deleted(session: AsyncSession) -> None:
    person, _other = await _contacts_with_history(session)
    before = await _values(session, person)
    assert ("name", None, "王芳") in before
    await _refused(session, "UPDATE audit_log SET new_value = 'forged' WHERE entity_id = :id", id=person)
    await _refused(session, "UPDATE audit_log SET actor = 'someone else'")
    await _refused(session, f"UPDATE audit_log SET new_value = '{ERASED_MARKER}'")  # not erased: refused
    await _refused(session, "DELETE FROM audit_log WHERE entity_id = :id", id=person)
    await _refused(session, "DELETE FROM audit_log")
    if session.get_bind().dialect.name == "postgresql":
        await _refused(session, "TRUNCATE audit_log")
    assert await _values(session, person) == before


async def test_only_an_erased_contacts_values_can_be_erased(session: AsyncSession) -> None:
    person, other = await _contacts_with_history(session)
    other_before = await _values(session, other)
    await session.execute(
        text("UPDATE contacts SET name = 'Erased', erased_at = CURRENT_TIMESTAMP WHERE id = :id"),
        {"id": person},
    )
    await session.commit()
    mine = "entity = 'contacts' AND entity_id = :id"
    # still refused: any other value, any other column, anyone else's rows, and deletion
    await _refused(session, f"UPDATE audit_log SET new_value = 'rewritten' WHERE {mine}", id=person)
    await _refused(
        session, f"UPDATE audit_log SET new_value = NULL, actor = 'nobody' WHERE {mine}", id=person
    )
    await _refused(session, f"UPDATE audit_log SET new_value = NULL, field = 'x' WHERE {mine}", id=person)
    await _refused(session, f"UPDATE audit_log SET new_value = NULL WHERE {mine}", id=other)
    await _refused(session, f"DELETE FROM audit_log WHERE {mine}", id=person)

    await session.execute(
        text(
            "UPDATE audit_log SET"
            f" old_value = CASE WHEN old_value IS NULL THEN NULL ELSE '{ERASED_MARKER}' END,"
            f" new_value = '{ERASED_MARKER}' WHERE {mine}"
        ),
        {"id": person},
    )
    await session.commit()
    erased = await _values(session, person)
    assert erased
    assert {old for _f, old, _n in erased} <= {None, ERASED_MARKER}
    assert {new for _f, _o, new in erased} == {ERASED_MARKER}
    assert ("title", None, ERASED_MARKER) in erased  # an edit from nothing stays an edit from nothing
    assert await _values(session, other) == other_before
