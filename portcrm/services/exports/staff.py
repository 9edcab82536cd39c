"""Which export each role may take, and the one entry point that checks it (a forged button is refused here).

The archive is every department's (its financial columns only finance's and managers'); complaints and
visits are the market department's records, which managers see too.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import Role
from portcrm.errors import N_, Forbidden
from portcrm.services.exports.archive import archive_sheets
from portcrm.services.exports.complaints import complaint_sheets
from portcrm.services.exports.visits import visit_sheets
from portcrm.services.exports.workbook import Sheet
from portcrm.services.identity.users import Identity
from portcrm.storage.transaction import transactional


class StaffExport(enum.StrEnum):
    ARCHIVE = "archive"
    COMPLAINTS = "complaints"
    VISITS = "visits"


EXPORT_NAMES = {
    StaffExport.ARCHIVE: N_("Customer archive"),
    StaffExport.COMPLAINTS: N_("Complaints"),
    StaffExport.VISITS: N_("Visits"),
}
MAY_EXPORT = {
    StaffExport.ARCHIVE: frozenset({Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER}),
    StaffExport.COMPLAINTS: frozenset({Role.MARKET, Role.MANAGER}),
    StaffExport.VISITS: frozenset({Role.MARKET, Role.MANAGER}),
}
_SHEETS: dict[StaffExport, Callable[[AsyncSession, Identity], Awaitable[list[Sheet]]]] = {
    StaffExport.ARCHIVE: archive_sheets,
    StaffExport.COMPLAINTS: complaint_sheets,
    StaffExport.VISITS: visit_sheets,
}


def exports_for(viewer: Identity) -> list[StaffExport]:
    return [kind for kind in StaffExport if viewer.has_any(*MAY_EXPORT[kind])]


@transactional
async def staff_export(session: AsyncSession, viewer: Identity, kind: StaffExport) -> list[Sheet]:
    """The export's sheets, as this staff member may see them; Forbidden when their roles allow none."""
    if not viewer.is_staff or kind not in exports_for(viewer):
        raise Forbidden()
    return await _SHEETS[kind](session, viewer)
