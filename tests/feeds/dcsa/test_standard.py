"""The hand-written models against the standard itself: the vendored DCSA T&T 2.2.0 OpenAPI file.

Every field the models read must be the standard's, with its code list and length limit; the events the
file's own examples describe must be read.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from portcrm.enums import CargoEventType, TimeClassifier
from portcrm.feeds.dcsa.batch import read_batch
from portcrm.feeds.dcsa.models import (
    DocumentReference,
    EquipmentEvent,
    Location,
    ShipmentEvent,
    TransportCall,
    TransportEvent,
    Vessel,
)
from tests.feeds.dcsa.support import encoded

SPEC = Path(__file__).parent / "spec" / "tnt_v2.2.0.yaml"
SCHEMAS = {
    TransportEvent: "transportEvent",
    EquipmentEvent: "equipmentEvent",
    ShipmentEvent: "shipmentEvent",
    TransportCall: "transportCall",
    Location: "location",
    Vessel: "vessel",
    DocumentReference: "documentReferences_inner",
}
# what PortCRM requires beyond the 2.2 schema: an id to receive each event once (see models.py), and both
# halves of a document reference (one without the other names nothing)
REQUIRED_HERE = {"eventID", "documentReferenceType", "documentReferenceValue"}


@cache
def _spec() -> dict[str, Any]:
    with SPEC.open() as file:
        return yaml.safe_load(file)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref followed and its allOf merged: {properties, required, enum, maxLength...}."""
    if "$ref" in schema:
        return _resolve(_spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    merged["properties"] = dict(schema.get("properties", {}))
    merged["required"] = list(schema.get("required", []))
    for part in schema.get("allOf", []):
        resolved = _resolve(part)
        for name, prop in resolved["properties"].items():
            # a later allOf part may only describe a property again: keep what the first said it is
            merged["properties"][name] = {**_resolve(prop), **merged["properties"].get(name, {})}
        merged["required"] += resolved["required"]
        for key in ("enum", "maxLength", "type", "example"):
            if key in resolved:
                merged.setdefault(key, resolved[key])
    return merged


def _ours(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """Each field's code list and length limit, from the model's JSON schema (an optional field's anyOf)."""
    schema = model.model_json_schema(by_alias=True)
    fields = {}
    for name, prop in schema["properties"].items():
        options = [p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"]
        fields[name] = {**options[0], "required": name in schema.get("required", [])}
    return fields


@pytest.mark.parametrize("model", list(SCHEMAS), ids=lambda m: m.__name__)
def test_every_field_read_is_the_standards_with_its_codes_and_limits(model: type[BaseModel]) -> None:
    standard = _resolve({"$ref": f"#/components/schemas/{SCHEMAS[model]}"})
    for name, ours in _ours(model).items():
        assert name in standard["properties"], f"{model.__name__}.{name} is not in the 2.2 schema"
        theirs = _resolve(standard["properties"][name])
        if "const" in ours or "enum" in ours:
            codes = set(ours.get("enum", [ours.get("const")]))
            # 2.2 lists "BKG (Booking)": the code is the first word (models.py takes both forms)
            assert codes == {str(code).split(" ")[0] for code in theirs["enum"]}, name
        elif "maxLength" in theirs:
            assert ours.get("maxLength") == theirs["maxLength"], name
        if name in standard["required"]:
            assert ours["required"], f"{name} is required by the standard"
        elif ours["required"]:
            assert name in REQUIRED_HERE, f"{model.__name__}.{name} is optional in the standard"


def _example(schema: dict[str, Any]) -> Any:
    """A value made of the standard's own examples (or first code) for every property."""
    schema = _resolve(schema)
    if schema["properties"]:
        return {name: _example(prop) for name, prop in schema["properties"].items()}
    if "example" not in schema and (schema.get("type") == "array" or "items" in schema):
        return [_example(schema["items"])]
    value = schema.get("example", (schema.get("enum") or [None])[0])
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _standard_event(name: str, **overrides: Any) -> dict[str, Any]:
    event = _example({"$ref": f"#/components/schemas/{name}"})
    event.pop("eventTypeCode", None)  # deprecated in 2.2, and its example is no code of the event's kind
    return event | overrides


def test_the_standards_example_events_are_read() -> None:
    events = [
        _standard_event("transportEvent"),
        _standard_event("equipmentEvent", eventClassifierCode="ACT"),  # its example, EST, is unused
        _standard_event("shipmentEvent", shipmentEventTypeCode="HOLD", documentTypeCode="CUS"),
        _standard_event("equipmentEvent"),
        _standard_event("shipmentEvent"),
    ]
    batch = read_batch(encoded(events), "dcsa:example")
    assert batch.problems == []
    arrival, loaded, held = batch.events
    assert (arrival.event_type, arrival.classifier) == (CargoEventType.VESSEL_ARRIVED, TimeClassifier.ACTUAL)
    assert (arrival.vessel_imo, arrival.voyage) == ("9321483", "2103N")
    assert arrival.occurred_at == dt.datetime(
        2019, 11, 12, 7, 41, tzinfo=dt.timezone(dt.timedelta(hours=8.5))
    )
    assert arrival.reported_at == dt.datetime(2021, 1, 9, 13, 12, 56, tzinfo=dt.UTC)
    assert (loaded.event_type, loaded.container_number, loaded.empty) == (
        CargoEventType.LOADED,
        "APZU4812090",
        True,
    )
    assert loaded.references == ("ABC123123123",), "the TRD given as a UUID names no shipment"
    assert loaded.voyage == "2103S", "a box is loaded onto the vessel's export voyage"
    assert (held.event_type, held.references) == (
        CargoEventType.CUSTOMS_HOLD,
        ("THE-ID-OF-THE-DOCUMENTTYPECODE",),
    )
    assert [u.reason for u in batch.unused] == [
        "LOAD is EST: only what happened is recorded for a box or a document",
        "shipment event DRFT of a SHI document is not used",
    ]


def test_the_one_whole_example_of_the_standard_does_not_match_its_own_schema() -> None:
    """`GET /v2/events/{eventID}`'s example has `eventSubtype` where the schema wants shipmentEventTypeCode,
    and no eventDateTime nor eventClassifierCode: it is refused, naming each of them."""
    example = _spec()["components"]["schemas"]["inline_response_200"]["example"]
    example = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in example.items()}
    batch = read_batch(encoded([example]), "dcsa:example")
    assert batch.events == []
    assert {(p.index, p.event_id, p.field) for p in batch.problems} == {
        (0, "84db923d-2a19-4eb0-beb5-446c1ec57d34", "eventDateTime"),
        (0, "84db923d-2a19-4eb0-beb5-446c1ec57d34", "eventClassifierCode"),
        (0, "84db923d-2a19-4eb0-beb5-446c1ec57d34", "shipmentEventTypeCode"),
    }


def test_the_callback_is_the_one_the_receiver_implements() -> None:
    callback = _spec()["paths"]["/v2/event-subscriptions"]["post"]["callbacks"]["event"]
    post = callback["{$request.body.callbackUrl}"]["post"]
    headers = {p["name"]: p for p in post["parameters"]}
    assert headers["Notification-Signature"]["required"]
    assert headers["Notification-Signature"]["schema"]["example"].startswith("sha256=")
    assert headers["Subscription-ID"]["schema"]["format"] == "uuid"
    assert post["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert list(post["responses"]) == ["204"]
