"""The part of the DCSA Track & Trace 2.2 event schema that PortCRM reads, as pydantic models.

Written by hand, not generated from the OpenAPI file, because:
- the 2.2 file names its schemas by reference to SwaggerHub (EVENT_DOMAIN 1.0.4), and its inlined copy builds
  every object from `allOf` chains of one-property objects: a generator turns that into hundreds of lines of
  classes for fields PortCRM never reads, and a new dependency (datamodel-code-generator) to rerun;
- a generated `anyOf` of the three event kinds reports a bad event as three failed branches; the tagged union
  below (on `eventType`) names the one field at fault, which the publisher needs to fix its feed;
- we check only what we read: a publisher may send every other field of the standard, or fields of later
  versions, and they are ignored rather than refused.
tests/feeds/dcsa/test_standard.py keeps these models honest against the vendored OpenAPI file: every field
and code list here must be the standard's, with its length limits.

Attribute names are the standard's own (`eventID`, `UNLocationCode`) so that an error names the field as
the publisher wrote it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

Classifier = Literal["ACT", "PLN", "EST"]
EquipmentEventCode = Literal[
    "LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD"
]
TransportEventCode = Literal["ARRI", "DEPA"]
ShipmentEventCode = Literal[
    "RECE", "DRFT", "PENA", "PENU", "REJE", "APPR", "ISSU", "SURR", "SUBM", "VOID", "CONF", "REQS", "CMPL",
    "HOLD", "RELS",
]  # fmt: skip
DocumentTypeCode = Literal["CBR", "BKG", "SHI", "SRM", "TRD", "ARN", "VGM", "CAS", "CUS", "DGD", "OOG"]


def _text_only(value: Any) -> Any:
    """A date-time must be ISO 8601 text: pydantic would otherwise take a number as epoch seconds."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string with its UTC offset")
    return value


def _reference_type(value: Any) -> Any:
    """2.2's enum holds "BKG (Booking)" and "TRD (Transport Document)", description and all (fixed in 2.3):
    publishers send either form."""
    return value.split(" ", 1)[0] if isinstance(value, str) else value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only)]
EventId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _up_to(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, max_length=max_length)


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Location(_Part):
    locationName: Annotated[str, _up_to(100)] | None = None
    UNLocationCode: Annotated[str, _up_to(5)] | None = None
    facilityCode: Annotated[str, _up_to(6)] | None = None


class Vessel(_Part):
    vesselIMONumber: Annotated[str, _up_to(7)]


class TransportCall(_Part):
    """Where and on what: the vessel and its voyage numbers, the port (UN/LOCODE) and terminal."""

    # deprecated in 2.2: "In case there are multiple voyages the export voyage is chosen"
    carrierVoyageNumber: Annotated[str, _up_to(50)] | None = None
    exportVoyageNumber: Annotated[str, _up_to(50)] | None = None
    importVoyageNumber: Annotated[str, _up_to(50)] | None = None
    UNLocationCode: Annotated[str, _up_to(5)] | None = None
    facilityCode: Annotated[str, _up_to(6)] | None = None
    otherFacility: Annotated[str, _up_to(50)] | None = None
    location: Location | None = None
    vessel: Vessel | None = None


class DocumentReference(_Part):
    documentReferenceType: Annotated[Literal["BKG", "TRD"], BeforeValidator(_reference_type)]
    documentReferenceValue: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Event(_Part):
    # eventID is optional in the 2.2 schema; PortCRM needs it to receive each event once (3.0 requires it)
    eventID: EventId
    eventCreatedDateTime: Timestamp
    eventDateTime: Timestamp
    eventClassifierCode: Classifier


class TransportEvent(_Event):
    eventType: Literal["TRANSPORT"]
    transportEventTypeCode: TransportEventCode
    transportCall: TransportCall
    documentReferences: tuple[DocumentReference, ...] = ()


class EquipmentEvent(_Event):
    eventType: Literal["EQUIPMENT"]
    equipmentEventTypeCode: EquipmentEventCode
    equipmentReference: Annotated[str, _up_to(15)] | None = None
    emptyIndicatorCode: Literal["EMPTY", "LADEN"]
    eventLocation: Location | None = None
    transportCall: TransportCall | None = None
    documentReferences: tuple[DocumentReference, ...] = ()


class ShipmentEvent(_Event):
    eventType: Literal["SHIPMENT"]
    shipmentEventTypeCode: ShipmentEventCode
    documentTypeCode: DocumentTypeCode
    documentID: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


DcsaEvent = Annotated[TransportEvent | EquipmentEvent | ShipmentEvent, Field(discriminator="eventType")]
EVENT = TypeAdapter(DcsaEvent)
