"""Which DCSA event becomes which cargo event: the mapping table, in one place.

| DCSA 2.2 | cargo event |
|---|---|
| equipment LOAD / DISC | LOADED / DISCHARGED |
| equipment GTIN laden / empty | GATE_IN / EMPTY_RETURNED |
| equipment GTOT laden / empty | GATE_OUT / EMPTY_PICKUP |
| equipment STUF STRP PICK DROP | STUFFED STRIPPED PICKED_UP DROPPED_OFF |
| equipment INSP RSEA RMVD | INSPECTED RESEALED REMOVED |
| transport ARRI / DEPA, PLN EST ACT | VESSEL_ARRIVED / VESSEL_DEPARTED, that classifier (ETA ATA, ETD ATD) |
| shipment HOLD / RELS of a CUS document | CUSTOMS_HOLD / CUSTOMS_RELEASED |
| shipment HOLD / RELS of an SRM document | CARRIER_HOLD / CARRIER_RELEASED |

Everything else the standard allows is received and counted but writes nothing (`Unused`): the other
shipment event and document combinations (drafts, bookings, B/L issues...), and equipment or shipment events
that are only planned or estimated, since a cargo event records what happened (only a vessel's arrival and
departure times are kept as estimates).

An equipment event is keyed by its `equipmentReference` (the container number, ISO 6346); its B/L and
booking references (`documentReferences` BKG and TRD) narrow the match. A shipment event names its document
by `documentID`. A reference that cannot be a B/L or booking number (a TRD given as a UUID) is left out: it
cannot name a shipment.
"""

from __future__ import annotations

from collections.abc import Iterable

from portcrm.enums import CargoEventType, TimeClassifier
from portcrm.errors import InvalidInput
from portcrm.feeds.dcsa.models import (
    DocumentReference,
    EquipmentEvent,
    Location,
    ShipmentEvent,
    TransportCall,
    TransportEvent,
)
from portcrm.identifiers import normalise_container, normalise_imo, normalise_reference
from portcrm.services.tracking.feed_events import FeedEvent

EQUIPMENT = {
    "LOAD": CargoEventType.LOADED,
    "DISC": CargoEventType.DISCHARGED,
    "STUF": CargoEventType.STUFFED,
    "STRP": CargoEventType.STRIPPED,
    "PICK": CargoEventType.PICKED_UP,
    "DROP": CargoEventType.DROPPED_OFF,
    "INSP": CargoEventType.INSPECTED,
    "RSEA": CargoEventType.RESEALED,
    "RMVD": CargoEventType.REMOVED,
}
GATE = {  # (code, empty) -> event: an empty box's gate moves are the two ends of its trip to the customer
    ("GTIN", False): CargoEventType.GATE_IN,
    ("GTIN", True): CargoEventType.EMPTY_RETURNED,
    ("GTOT", False): CargoEventType.GATE_OUT,
    ("GTOT", True): CargoEventType.EMPTY_PICKUP,
}
TRANSPORT = {"ARRI": CargoEventType.VESSEL_ARRIVED, "DEPA": CargoEventType.VESSEL_DEPARTED}
SHIPMENT = {
    ("CUS", "HOLD"): CargoEventType.CUSTOMS_HOLD,
    ("CUS", "RELS"): CargoEventType.CUSTOMS_RELEASED,
    ("SRM", "HOLD"): CargoEventType.CARRIER_HOLD,
    ("SRM", "RELS"): CargoEventType.CARRIER_RELEASED,
}
ARRIVING = frozenset({CargoEventType.VESSEL_ARRIVED, CargoEventType.DISCHARGED})


class Unused(Exception):
    """A valid DCSA event that PortCRM does not record; the text says why, for the log and the reply."""


class FieldProblem(ValueError):
    """A value the schema allows but that cannot be what it claims (a container number failing its check)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def to_feed_event(event: TransportEvent | EquipmentEvent | ShipmentEvent, source: str) -> FeedEvent:
    """The normalised event; raises `Unused` or `FieldProblem`."""
    if isinstance(event, TransportEvent):
        event_type = TRANSPORT[event.transportEventTypeCode]
        call: TransportCall | None = event.transportCall
        container, empty = "", None
        references = _document_references(event.documentReferences)
    elif isinstance(event, EquipmentEvent):
        _actual_only(event.eventClassifierCode, event.equipmentEventTypeCode)
        empty = event.emptyIndicatorCode == "EMPTY"
        code = event.equipmentEventTypeCode
        event_type = GATE[code, empty] if code in ("GTIN", "GTOT") else EQUIPMENT[code]
        call = event.transportCall
        container = _container(event.equipmentReference)
        references = _document_references(event.documentReferences)
    else:
        key = (event.documentTypeCode, event.shipmentEventTypeCode)
        if key not in SHIPMENT:
            raise Unused(f"shipment event {key[1]} of a {key[0]} document is not used")
        _actual_only(event.eventClassifierCode, event.shipmentEventTypeCode)
        event_type, call, container, empty = SHIPMENT[key], None, "", None
        references = _references([event.documentID])
    return FeedEvent(
        source=source,
        event_id=event.eventID,
        event_type=event_type,
        occurred_at=event.eventDateTime,
        reported_at=event.eventCreatedDateTime,
        classifier=TimeClassifier(event.eventClassifierCode),
        container_number=container,
        empty=empty,
        references=references,
        vessel_imo=_imo(call),
        voyage=_voyage(call, arriving=event_type in ARRIVING),
        location=_location(event.eventLocation if isinstance(event, EquipmentEvent) else None, call),
    )


def _actual_only(classifier: str, code: str) -> None:
    if classifier != "ACT":
        raise Unused(f"{code} is {classifier}: only what happened is recorded for a box or a document")


def _container(reference: str | None) -> str:
    if not reference:
        return ""
    try:
        return normalise_container(reference)
    except InvalidInput:
        raise FieldProblem("equipmentReference", "not an ISO 6346 container number") from None


def _imo(call: TransportCall | None) -> str | None:
    if call is None or call.vessel is None:
        return None
    try:
        return normalise_imo(call.vessel.vesselIMONumber)[0]  # a wrong check digit is common: kept
    except InvalidInput:
        raise FieldProblem("transportCall.vessel.vesselIMONumber", "not a 7-digit IMO number") from None


def _voyage(call: TransportCall | None, *, arriving: bool) -> str | None:
    """The voyage the vessel arrives on for an arrival or discharge, else the one it leaves on."""
    if call is None:
        return None
    export = call.exportVoyageNumber or call.carrierVoyageNumber
    first, second = (call.importVoyageNumber, export) if arriving else (export, call.importVoyageNumber)
    return (first or second or "").upper() or None


def _location(place: Location | None, call: TransportCall | None) -> str | None:
    """UN/LOCODE and facility as a customer reads them: "CNSHA Yangshan", else "CNSHA SGH"."""
    for where in (place, call.location if call else None):
        if where is not None and (where.UNLocationCode or where.locationName or where.facilityCode):
            parts = (where.UNLocationCode, where.locationName or where.facilityCode)
            return " ".join(p for p in parts if p)
    if call is None:
        return None
    parts = (call.UNLocationCode, call.facilityCode or call.otherFacility)
    return " ".join(p for p in parts if p) or None


def _document_references(references: Iterable[DocumentReference]) -> tuple[str, ...]:
    return _references(r.documentReferenceValue for r in references)


def _references(values: Iterable[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for value in values:
        try:
            found[normalise_reference(value)] = None
        except InvalidInput:
            continue  # a UUID or other id that cannot be a B/L or booking number names no shipment
    return tuple(found)
