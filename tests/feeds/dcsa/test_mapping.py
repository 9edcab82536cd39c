"""Which DCSA event becomes which cargo event, and the signature, without a server."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from portcrm.enums import CargoEventType as T
from portcrm.enums import TimeClassifier
from portcrm.feeds.dcsa.batch import read_batch
from portcrm.feeds.dcsa.signature import sign, verify
from portcrm.feeds.dcsa.subscriptions import new_secret
from portcrm.services.tracking.feed_events import FeedEvent
from tests.factories import container_number
from tests.feeds.dcsa.support import IMO, Event, encoded, equipment, shipment, transport, transport_call

BOX = container_number("OOLU", 274153)


def _one(event: Event) -> FeedEvent:
    batch = read_batch(encoded([event]), "dcsa:sub")
    assert (batch.problems, batch.unused) == ([], [])
    return batch.events[0]


def _unused(event: Event) -> str:
    batch = read_batch(encoded([event]), "dcsa:sub")
    assert (batch.events, batch.problems) == ([], [])
    return batch.unused[0].reason


@pytest.mark.parametrize(
    ("code", "empty", "expected"),
    [
        ("LOAD", False, T.LOADED),
        ("DISC", False, T.DISCHARGED),
        ("GTIN", False, T.GATE_IN),
        ("GTIN", True, T.EMPTY_RETURNED),
        ("GTOT", True, T.EMPTY_PICKUP),
        ("GTOT", False, T.GATE_OUT),
        ("STUF", False, T.STUFFED),
        ("STRP", True, T.STRIPPED),
        ("PICK", False, T.PICKED_UP),
        ("DROP", False, T.DROPPED_OFF),
        ("INSP", False, T.INSPECTED),
        ("RSEA", False, T.RESEALED),
        ("RMVD", False, T.REMOVED),
    ],
)
def test_equipment_events_map_by_code_and_emptiness(code: str, empty: bool, expected: T) -> None:
    event = _one(equipment(code, BOX.lower()[:4] + "-" + BOX[4:], empty=empty, event_id=" e-1 "))
    assert (event.event_type, event.empty, event.container_number) == (expected, empty, BOX)
    assert (event.source, event.event_id, event.classifier) == ("dcsa:sub", "e-1", TimeClassifier.ACTUAL)
    assert (event.vessel_imo, event.location) == (IMO, "CNNGB BLCT")


@pytest.mark.parametrize(("code", "voyage"), [("ARRI", "2103N"), ("DEPA", "2103S")])
@pytest.mark.parametrize("classifier", ["PLN", "EST", "ACT"])
def test_transport_events_keep_their_classifier_and_the_voyage_of_their_direction(
    code: str, voyage: str, classifier: str
) -> None:
    event = _one(
        transport(code, "2026-12-03T08:00:00+08:00", classifier=classifier, created="2026-12-01T00:00Z")
    )
    assert event.event_type is (T.VESSEL_ARRIVED if code == "ARRI" else T.VESSEL_DEPARTED)
    assert event.classifier is TimeClassifier(classifier)
    assert (event.vessel_imo, event.voyage, event.container_number) == (IMO, voyage, "")
    assert event.reported_at is not None
    assert event.reported_at.isoformat() == "2026-12-01T00:00:00+00:00"


def test_a_call_with_one_voyage_number_gives_it_whichever_the_direction() -> None:
    call = transport_call(importVoyageNumber=None, exportVoyageNumber=None, carrierVoyageNumber="078e")
    assert _one(transport("ARRI", "2026-12-03T08:00:00+08:00") | {"transportCall": call}).voyage == "078E"
    call = transport_call(exportVoyageNumber=None)
    assert _one(transport("DEPA", "2026-12-03T08:00:00+08:00") | {"transportCall": call}).voyage == "2103N"


@pytest.mark.parametrize(
    ("document", "code", "expected"),
    [
        ("CUS", "HOLD", T.CUSTOMS_HOLD),
        ("CUS", "RELS", T.CUSTOMS_RELEASED),
        ("SRM", "HOLD", T.CARRIER_HOLD),
        ("SRM", "RELS", T.CARRIER_RELEASED),
    ],
)
def test_customs_and_carrier_holds_and_releases_name_their_document(
    document: str, code: str, expected: T
) -> None:
    event = _one(shipment(code, document, " oolu 2741538960 "))
    assert (event.event_type, event.references, event.container_number) == (expected, ("OOLU2741538960",), "")


@pytest.mark.parametrize(
    "event",
    [
        shipment("ISSU", "TRD", "OOLU2741538960"),
        shipment("RELS", "BKG", "BKG1"),
        shipment("HOLD", "VGM", "V1"),
    ],
)
def test_other_shipment_events_are_received_unused(event: Event) -> None:
    code, document = event["shipmentEventTypeCode"], event["documentTypeCode"]
    assert _unused(event) == f"shipment event {code} of a {document} document is not used"


def test_a_planned_box_move_is_received_unused_as_only_what_happened_is_recorded() -> None:
    assert _unused(equipment("DISC", BOX, classifier="EST")) == (
        "DISC is EST: only what happened is recorded for a box or a document"
    )


def test_booking_and_bl_references_narrow_a_box_event_and_an_id_that_is_neither_is_left_out() -> None:
    refs = {"BKG (Booking)": "bkg 2611009", "TRD": "85943567-eedb-98d3-f4ed-aed697474ed4"}
    event = equipment("DISC", BOX)
    event["documentReferences"] = [
        {"documentReferenceType": k, "documentReferenceValue": v} for k, v in refs.items()
    ]
    event["documentReferences"].append(
        {"documentReferenceType": "TRD", "documentReferenceValue": "OOLU2741538960"}
    )
    assert _one(event).references == ("BKG2611009", "OOLU2741538960")


def test_the_place_of_a_box_move_is_its_event_location_else_its_call() -> None:
    at_depot = equipment("GTIN", BOX, empty=True) | {
        "eventLocation": {"UNLocationCode": "CNNGB", "locationName": "Beilun Empty Depot"}
    }
    assert _one(at_depot).location == "CNNGB Beilun Empty Depot"
    no_call = equipment("STUF", BOX)
    del no_call["transportCall"]
    assert (_one(no_call).location, _one(no_call).vessel_imo, _one(no_call).voyage) == (None, None, None)
    in_location = equipment("LOAD", BOX) | {
        "transportCall": transport_call(UNLocationCode=None, location={"UNLocationCode": "CNSHA"})
    }
    assert _one(in_location).location == "CNSHA"


def test_a_wrong_imo_check_digit_is_kept_as_many_real_ships_have_one() -> None:
    event = transport("ARRI", "2026-12-03T08:00:00+08:00")
    event["transportCall"]["vessel"]["vesselIMONumber"] = "9321484"
    assert _one(event).vessel_imo == "9321484"


def test_a_number_where_a_date_time_belongs_is_refused_not_read_as_epoch_seconds() -> None:
    batch = read_batch(encoded([equipment("DISC", BOX) | {"eventDateTime": 1764553800}]), "dcsa:sub")
    assert [(p.field, p.message) for p in batch.problems] == [
        ("eventDateTime", "Value error, must be an ISO 8601 date-time string with its UTC offset")
    ]


def test_an_unknown_or_missing_event_type_is_named() -> None:
    batch = read_batch(encoded([{"eventID": "a", "eventType": "REEFER"}, {"eventID": "b"}]), "dcsa:sub")
    assert [(p.index, p.event_id, p.field) for p in batch.problems] == [
        (0, "a", "eventType"),
        (1, "b", "eventType"),
    ]


class TestSignature:
    def test_the_hmac_is_keyed_with_the_secrets_bytes_as_dcsas_reference_implementation_does(self) -> None:
        secret, body = new_secret(), b'[{"eventID": "1"}]\n'
        key = base64.b64decode(secret)
        assert len(key) == 64
        header = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        assert sign(secret, body) == header
        assert verify(header, body, [secret])
        assert verify(f"  SHA256={header[7:].upper()} ", body, [secret])

    def test_a_publisher_keying_with_the_base64_text_is_accepted_too(self) -> None:
        secret, body = new_secret(), b"[]"
        header = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert verify(header, body, [secret])

    def test_any_secret_valid_now_is_accepted_and_no_other(self) -> None:
        old, new, body = new_secret(), new_secret(), b"[]"
        assert verify(sign(old, body), body, [new, old])
        assert not verify(sign(old, body), body, [new])
        assert not verify(sign(old, body), body, [])

    @pytest.mark.parametrize(
        "header", ["", "sha256", "sha256=", "sha512=00", "sha256=0g", "=abc", "sha256=ab"]
    )
    def test_a_malformed_header_is_no_signature(self, header: str) -> None:
        assert not verify(header, b"[]", [new_secret()])
