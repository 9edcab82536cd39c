"""A shipment's expected arrival and departure (ETA, ETD) from the estimates the feeds send.

Estimates arrive late and out of order. A time is replaced only by a surer one (an estimate over a plan, an
actual over both) or, as sure, by one its source made later (`reported_at`); once the actual is in, later
estimates change nothing. An arrival that moves by more than the configured hours is pushed to the
shipment's subscribers, once per new time.
"""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portcrm.enums import CargoEventType, TimeClassifier
from portcrm.i18n import gettext_for
from portcrm.models import Shipment
from portcrm.port_time import format_port_time
from portcrm.services.tracking.pushes import push_to_subscribers
from portcrm.services.tracking.shipments import reference_of
from portcrm.settings import Locale

ETA_CHANGE_KIND = "eta_change"
_RANK = {None: -1, TimeClassifier.PLANNED: 0, TimeClassifier.ESTIMATED: 1, TimeClassifier.ACTUAL: 2}
# which of the shipment's columns a vessel call event speaks to
_COLUMNS = {
    CargoEventType.VESSEL_ARRIVED: ("eta", "eta_classifier", "eta_reported_at"),
    CargoEventType.VESSEL_DEPARTED: ("etd", "etd_classifier", "etd_reported_at"),
}


def take_time(
    shipment: Shipment,
    event_type: CargoEventType,
    classifier: TimeClassifier,
    time: dt.datetime,
    reported_at: dt.datetime | None,
) -> dt.datetime | None:
    """Set the shipment's ETA or ETD from this report if it is the surest and latest; returns the time it
    replaced (None when there was none), or raises `Superseded` when the report changes nothing.

    An actual is recorded as a cargo event too (the caller does that); here it only marks the time as
    settled, so that no later estimate moves it.
    """
    time_column, classifier_column, reported_column = _COLUMNS[event_type]
    actual = shipment.ata if event_type is CargoEventType.VESSEL_ARRIVED else shipment.atd
    if actual is not None and classifier is not TimeClassifier.ACTUAL:
        raise Superseded  # an arrival recorded by other means (an import file, /event) settles it too
    held = getattr(shipment, classifier_column)
    held_reported = getattr(shipment, reported_column)
    newer = _RANK[classifier] > _RANK[held] or (
        _RANK[classifier] == _RANK[held]
        and (held_reported is None or (reported_at is not None and reported_at >= held_reported))
    )
    if not newer:
        raise Superseded
    previous = getattr(shipment, time_column)
    if classifier is not TimeClassifier.ACTUAL:
        setattr(shipment, time_column, time)
    setattr(shipment, classifier_column, classifier)
    setattr(shipment, reported_column, reported_at)
    return previous


class Superseded(Exception):
    """The report is older or less sure than the time the shipment holds."""


async def push_eta_change(
    session: AsyncSession,
    shipment: Shipment,
    previous: dt.datetime,
    *,
    threshold: dt.timedelta,
    tz: ZoneInfo,
    default_locale: Locale,
) -> int:
    """Tell the subscribers that the arrival moved, when it moved by more than `threshold`."""
    eta = shipment.eta
    if eta is None or abs(eta - previous) <= threshold:
        return 0

    def text(locale: Locale) -> str:
        _ = gettext_for(locale)
        lines = [
            "🕒 "
            + _("<b>New arrival time</b> · {reference}").format(
                reference=html.escape(reference_of(shipment))
            ),
            _("ETA: {time}").format(time=f"<b>{format_port_time(eta, tz, locale)}</b>"),
            _("Previously: {time}").format(time=format_port_time(previous, tz, locale)),
        ]
        if shipment.vessel_name:
            vessel = " ".join(filter(None, (shipment.vessel_name, shipment.voyage)))
            lines.append(_("Vessel: {vessel}").format(vessel=html.escape(vessel)))
        return "\n".join(lines)

    return await push_to_subscribers(
        session,
        shipment,
        kind=ETA_CHANGE_KIND,
        key=f"eta:{shipment.id}:{eta:%Y%m%dT%H%M}",
        text=text,
        default_locale=default_locale,
    )
