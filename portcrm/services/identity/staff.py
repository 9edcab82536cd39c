"""Staff members and their department roles; admins change them in chat (logged with the admin's id)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from portcrm.models import Staff, StaffRole
from portcrm.storage.transaction import transaction, transactional

log = logging.getLogger(__name__)


@transactional
async def add_staff(session: AsyncSession, telegram_user_id: int, name: str, roles: set[Role]) -> Staff:
    """Create a staff member, or give an existing one (same Telegram user) the name and these roles too."""
    name = name.strip()
    if not name:
        raise InvalidInput(N_("A name is required."))
    if not roles:
        raise InvalidInput(N_("At least one role is required."))
    staff = await session.scalar(select(Staff).where(Staff.telegram_user_id == telegram_user_id))
    if staff is None:
        staff = Staff(telegram_user_id=telegram_user_id, name=name, roles=[])
        session.add(staff)
    staff.name = name
    staff.active = True
    for role in sorted(roles - staff.role_set):
        staff.roles.append(StaffRole(role=role))
    return staff


async def staff_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    return await session.scalar(
        select(Staff).where(Staff.telegram_user_id == telegram_user_id, Staff.active.is_(True))
    )


class StaffNotFound(NotFound):
    message = N_("That staff member was not found.")


class OwnAdminRole(Conflict):
    message = N_("You cannot remove your own administrator role: the port must keep an administrator.")


class OwnDeactivation(Conflict):
    message = N_("You cannot deactivate yourself: the port must keep an administrator.")


@transactional
async def all_staff(session: AsyncSession) -> list[Staff]:
    """Everyone, active first, so an admin can also bring a deactivated member back."""
    staff = await session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.name, Staff.id))
    return list(staff)


@transactional
async def get_staff(session: AsyncSession, admin_id: int, staff_id: int) -> Staff:
    await _admin(session, admin_id)
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise StaffNotFound()
    return staff


async def enrol_staff(
    session: AsyncSession, admin_id: int, telegram_user_id: int, name: str
) -> tuple[Staff, bool]:
    """A new member starts in the market department (a role is required); an existing one is left as is."""
    async with transaction(session):
        await _admin(session, admin_id)
        existing = await session.scalar(select(Staff).where(Staff.telegram_user_id == telegram_user_id))
        if existing is not None:
            return existing, False
        staff = await add_staff(session, telegram_user_id, name, {Role.MARKET})
    log.info("staff %s (telegram %s) added by admin %s", staff.id, telegram_user_id, admin_id)
    return staff, True


@transactional
async def toggle_role(session: AsyncSession, admin_id: int, staff_id: int, role: Role) -> Staff:
    staff = await _target(session, admin_id, staff_id)
    return await _set_roles(session, admin_id, staff, staff.role_set ^ {role})


@transactional
async def set_roles(session: AsyncSession, admin_id: int, staff_id: int, roles: set[Role]) -> Staff:
    """Replace a member's roles; at least one, and never an admin's own admin role."""
    staff = await _target(session, admin_id, staff_id)
    return await _set_roles(session, admin_id, staff, frozenset(roles))


@transactional
async def set_active(session: AsyncSession, admin_id: int, staff_id: int, active: bool) -> Staff:
    staff = await _target(session, admin_id, staff_id)
    if staff.id == admin_id and not active:
        raise OwnDeactivation()
    staff.active = active
    log.info("staff %s %s by admin %s", staff.id, "reactivated" if active else "deactivated", admin_id)
    return staff


async def _set_roles(session: AsyncSession, admin_id: int, staff: Staff, roles: frozenset[Role]) -> Staff:
    if staff.id == admin_id and Role.ADMIN not in roles:
        raise OwnAdminRole()
    if not roles:
        raise InvalidInput(N_("At least one role is required."))
    staff.roles[:] = [r for r in staff.roles if r.role in roles]
    staff.roles.extend(StaffRole(role=role) for role in sorted(roles - staff.role_set))
    log.info("staff %s roles set to %s by admin %s", staff.id, sorted(roles), admin_id)
    return staff


async def _target(session: AsyncSession, admin_id: int, staff_id: int) -> Staff:
    await _admin(session, admin_id)
    staff = await session.get(Staff, staff_id, with_for_update=True)
    if staff is None:
        raise StaffNotFound()
    return staff


async def _admin(session: AsyncSession, admin_id: int) -> None:
    admin = await session.get(Staff, admin_id)
    if admin is None or not admin.active or Role.ADMIN not in admin.role_set:
        raise Forbidden()
