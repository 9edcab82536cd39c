"""DCSA 2.2 events as a publisher writes them, and a publisher that signs and posts them over real HTTP."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy import func, select

from portcrm.feeds.dcsa.signature import SIGNATURE_HEADER, SUBSCRIPTION_HEADER, sign
from portcrm.models import CargoEvent, FeedEventReceipt, Notification, UnmatchedFeedEvent
from portcrm.storage.db import Database

IMO = "9321483"
CREATED = "2026-12-01T10:00:00+08:00"

Event = dict[str, Any]


def _base(event_type: str, at: str, classifier: str, created: str | None, event_id: str | None) -> Event:
    return {
        "eventID": event_id or str(uuid.uuid4()),
        "eventType": event_type,
        "eventClassifierCode": classifier,
        "eventDateTime": at,
        "eventCreatedDateTime": created or CREATED,
    }


def transport_call(**overrides: Any) -> dict[str, Any]:
    call = {
        "transportCallID": str(uuid.uuid4()),
        "modeOfTransport": "VESSEL",
        "importVoyageNumber": "2103N",
        "exportVoyageNumber": "2103S",
        "UNLocationCode": "CNNGB",
        "facilityCode": "BLCT",
        "facilityCodeListProvider": "SMDG",
        "vessel": {"vesselIMONumber": IMO, "vesselName": "COSCO ARIES", "vesselFlag": "HK"},
    }
    return {**call, **overrides}


def equipment(
    code: str,
    box: str,
    at: str = "2026-12-01T09:30:00+08:00",
    *,
    empty: bool = False,
    classifier: str = "ACT",
    created: str | None = None,
    event_id: str | None = None,
    references: Mapping[str, str] | None = None,
) -> Event:
    event = _base("EQUIPMENT", at, classifier, created, event_id)
    event |= {
        "equipmentEventTypeCode": code,
        "equipmentReference": box,
        "ISOEquipmentCode": "45G1",
        "emptyIndicatorCode": "EMPTY" if empty else "LADEN",
        "transportCall": transport_call(),
        "seals": [{"sealNumber": "CN1234567", "sealType": "BLT", "sealSource": "CUS"}],
    }
    if references:
        event["documentReferences"] = [
            {"documentReferenceType": kind, "documentReferenceValue": value}
            for kind, value in references.items()
        ]
    return event


def transport(
    code: str,
    at: str,
    *,
    classifier: str = "EST",
    created: str | None = None,
    event_id: str | None = None,
) -> Event:
    event = _base("TRANSPORT", at, classifier, created, event_id)
    return event | {
        "transportEventTypeCode": code,
        "transportCall": transport_call(),
        "delayReasonCode": "WEA",
    }


def shipment(
    code: str,
    document: str,
    document_id: str,
    at: str = "2026-12-01T11:00:00+08:00",
    *,
    event_id: str | None = None,
) -> Event:
    event = _base("SHIPMENT", at, "ACT", at, event_id)
    return event | {
        "shipmentEventTypeCode": code,
        "documentTypeCode": document,
        "documentID": document_id,
        "reason": "Released by the authorities",
    }


def encoded(events: Sequence[Event] | Any) -> bytes:
    return json.dumps(events, ensure_ascii=False, indent=1).encode()


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Publisher:
    """A publisher posting to the running receiver, signing with `secret` unless told otherwise."""

    client: aiohttp.ClientSession
    url: str
    subscription_id: str
    secret: str

    async def post(
        self,
        events: Sequence[Event] | bytes,
        *,
        secret: str | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> Reply:
        body = events if isinstance(events, bytes) else encoded(events)
        sent = {
            SUBSCRIPTION_HEADER: self.subscription_id,
            SIGNATURE_HEADER: sign(secret or self.secret, body),
            "Content-Type": "application/json",
            "API-Version": "2.2.0",
        }
        sent |= headers or {}
        return await self.send(body, {k: v for k, v in sent.items() if v is not None})

    async def send(self, data: bytes | AsyncIterator[bytes], headers: Mapping[str, str]) -> Reply:
        payload = io.BytesIO(data) if isinstance(data, bytes) else data  # raw bytes over 1 MB warn in aiohttp
        async with self.client.post(self.url, data=payload, headers=headers) as answer:
            text = await answer.text()
            return Reply(answer.status, json.loads(text) if text else None)


async def table_counts(db: Database) -> dict[str, int]:
    """What "nothing was written" is checked against."""
    counts = {}
    async with db.session() as session:
        for model in (FeedEventReceipt, CargoEvent, UnmatchedFeedEvent, Notification):
            rows = await session.scalar(select(func.count()).select_from(model))
            counts[model.__tablename__] = int(rows or 0)
        await session.commit()
    return counts
