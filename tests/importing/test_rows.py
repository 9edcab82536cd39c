"""Row parsers: every problem of a row is reported against its column, without touching the database."""

from __future__ import annotations

import pytest
from stdnum import iso6346

from portcrm.enums import CargoEventType, ShipmentDirection
from portcrm.importing.cargo_events import parse_cargo_event_row
from portcrm.importing.cells import ParseContext, RowInvalid
from portcrm.importing.contacts import parse_contact_row
from portcrm.importing.customers import parse_customer_row
from portcrm.importing.invoices import parse_invoice_row
from portcrm.importing.payments import parse_payment_row
from portcrm.importing.shipments import parse_shipment_row
from tests.importing.support import PORT_TZ

CTX = ParseContext(tz=PORT_TZ)
GOOD_USCC = "91330200MA2H8K3L0N"
SHIPMENT = {
    "customer_code": "NBF001",
    "bl_number": "COSU6389012450",
    "direction": "export",
    "cargo_description": "x",
}


def problems(parse, raw: dict[str, str]) -> set[tuple[str | None, str]]:
    with pytest.raises(RowInvalid) as caught:
        parse(raw, CTX)
    return {(issue.column, issue.message) for issue in caught.value.issues}


def test_a_customer_row_normalises_code_and_type() -> None:
    row = parse_customer_row(
        {"code": " nbf001 ", "name": "宁波远洋", "type": "货代公司", "uscc": GOOD_USCC}, CTX
    )
    assert (row.code, row.type.value, row.uscc, row.grade) == ("NBF001", "forwarder", GOOD_USCC, None)


def test_a_bad_uscc_check_character_is_an_error() -> None:
    bad = GOOD_USCC[:-1] + "1"
    assert problems(parse_customer_row, {"code": "C1", "name": "n", "type": "货主", "uscc": bad}) == {
        ("uscc", "Invalid unified social credit code: {value}")
    }


def test_all_problems_of_a_row_are_reported_together() -> None:
    found = problems(parse_customer_row, {"code": "", "name": "", "type": "个人", "founded_on": "2015.4.8"})
    assert {column for column, _ in found} == {"code", "name", "type", "founded_on"}


def test_a_bad_phone_is_an_error_and_a_good_one_becomes_e164() -> None:
    assert problems(parse_contact_row, {"customer_code": "C1", "name": "陈", "phone": "12345"}) == {
        ("phone", "Invalid phone number: {value}")
    }
    row = parse_contact_row(
        {"customer_code": "C1", "name": "陈", "phone": "138 0574 1234", "locale": "zh-tw"}, CTX
    )
    assert (row.phone, row.locale) == ("+8613805741234", "zh_TW")


def test_a_container_with_a_wrong_check_digit_is_an_error() -> None:
    good = "CSNU123456" + iso6346.calc_check_digit("CSNU123456")
    bad = "CSNU123456" + str((int(good[-1]) + 1) % 10)
    found = problems(parse_shipment_row, {**SHIPMENT, "containers": f"{good} {bad}"})
    assert found == {("containers", "Invalid container number (ISO 6346 check digit): {value}")}


def test_containers_take_one_type_for_all_or_one_each() -> None:
    row = parse_shipment_row(
        {**SHIPMENT, "containers": "CSNU1234560，CSNU6543216", "container_types": "40hc"}, CTX
    )
    assert row.containers == (("CSNU1234560", "40HC"), ("CSNU6543216", "40HC"))
    found = problems(
        parse_shipment_row,
        {**SHIPMENT, "containers": "CSNU1234560 CSNU6543216 TGHU1234567", "container_types": "20GP 40HC"},
    )
    assert {column for column, _ in found} == {"container_types"}


def test_a_shipment_needs_a_bl_or_a_booking_reference() -> None:
    raw = {**SHIPMENT, "bl_number": ""}
    assert {column for column, _ in problems(parse_shipment_row, raw)} == {"bl_number"}
    row = parse_shipment_row({**raw, "booking_ref": "bkg 2611001", "direction": "进口"}, CTX)
    assert (row.reference, row.direction) == ("BKG2611001", ShipmentDirection.IMPORT)


def test_an_imo_failing_its_check_digit_is_a_warning_not_an_error() -> None:
    row = parse_shipment_row({**SHIPMENT, "vessel_imo": "IMO 9795611"}, CTX)
    assert row.vessel_imo == "9795611"
    assert [(w.column, w.params) for w in row.warnings] == [("vessel_imo", {"value": "9795611"})]
    assert {column for column, _ in problems(parse_shipment_row, {**SHIPMENT, "vessel_imo": "12345"})} == {
        "vessel_imo"
    }


def test_a_cargo_event_needs_a_known_event_type_and_a_time() -> None:
    raw = {"reference": "COSU6389012450", "event_type": "arrived", "occurred_at": "2026-11-05"}
    assert {column for column, _ in problems(parse_cargo_event_row, raw)} == {"event_type", "occurred_at"}
    row = parse_cargo_event_row(
        {**raw, "event_type": "vessel_arrived", "occurred_at": "2026-11-05 08:00"}, CTX
    )
    assert (row.event_type, row.container_number) == (CargoEventType.VESSEL_ARRIVED, "")


def test_an_invoice_falls_due_on_or_after_its_issue_date() -> None:
    raw = {
        "number": "I1",
        "customer_code": "C1",
        "issued_on": "2026-11-06",
        "due_on": "2026-11-05",
        "amount": "10",
    }
    assert problems(parse_invoice_row, raw) == {
        ("due_on", "Due date {due_on} is before the issue date {issued_on}")
    }


def test_a_negative_payment_is_an_error() -> None:
    raw = {"reference": "R1", "invoice_number": "I1", "paid_on": "2026-11-06", "amount": "-5"}
    assert problems(parse_payment_row, raw) == {("amount", "Amount must be positive: {value}")}
