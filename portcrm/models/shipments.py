"""Shipments, their containers and the cargo events that tell a customer where the goods are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portcrm.enums import CargoEventType, ShipmentDirection, TimeClassifier
from portcrm.models.base import Base, Timestamps, str_enum, utcnow


class Shipment(Timestamps, Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    bl_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    booking_ref: Mapped[str | None] = mapped_column(String(32), unique=True)
    direction: Mapped[ShipmentDirection] = mapped_column(str_enum(ShipmentDirection, 16))
    cargo_description: Mapped[str] = mapped_column(String(500))
    weight_kg: Mapped[Decimal | None] = mapped_column()
    vessel_name: Mapped[str | None] = mapped_column(String(100))
    voyage: Mapped[str | None] = mapped_column(String(32))
    vessel_imo: Mapped[str | None] = mapped_column(String(7))
    port_of_loading: Mapped[str | None] = mapped_column(String(100))
    port_of_discharge: Mapped[str | None] = mapped_column(String(100))
    etd: Mapped[dt.datetime | None] = mapped_column()
    eta: Mapped[dt.datetime | None] = mapped_column()
    ata: Mapped[dt.datetime | None] = mapped_column()
    atd: Mapped[dt.datetime | None] = mapped_column()
    # how sure the arrival and departure times are, and when their source said so: an estimate made later
    # replaces an earlier one, an actual replaces any estimate (services/tracking/feed_events.py)
    eta_classifier: Mapped[TimeClassifier | None] = mapped_column(str_enum(TimeClassifier, 3))
    eta_reported_at: Mapped[dt.datetime | None] = mapped_column()
    etd_classifier: Mapped[TimeClassifier | None] = mapped_column(str_enum(TimeClassifier, 3))
    etd_reported_at: Mapped[dt.datetime | None] = mapped_column()
    # the latest event, kept on the row so a status card needs no aggregate query
    status: Mapped[CargoEventType | None] = mapped_column(str_enum(CargoEventType))
    location: Mapped[str | None] = mapped_column(String(100))
    customs_hold: Mapped[bool] = mapped_column(default=False)
    payment_hold: Mapped[bool] = mapped_column(default=False)
    completed: Mapped[bool] = mapped_column(default=False, index=True)

    containers: Mapped[list[Container]] = relationship(
        back_populates="shipment", lazy="selectin", order_by="Container.number"
    )


class Container(Base):
    __tablename__ = "containers"
    __table_args__ = (UniqueConstraint("shipment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    # ISO 6346 numbers recur across years, so they are unique per shipment only
    number: Mapped[str] = mapped_column(String(11), index=True)
    size_type: Mapped[str | None] = mapped_column(String(8))
    seal_number: Mapped[str | None] = mapped_column(String(32))
    shipment: Mapped[Shipment] = relationship(back_populates="containers", lazy="raise")


class CargoEvent(Base):
    __tablename__ = "cargo_events"
    # The natural key makes re-importing the same event file a no-op; "" stands for "whole shipment".
    __table_args__ = (
        UniqueConstraint("shipment_id", "container_number", "event_type", "occurred_at"),
        Index("ix_cargo_events_shipment_time", "shipment_id", "occurred_at"),
        # the hourly free-time job's window: boxes discharged or gated out in a range of days
        Index("ix_cargo_events_type_time", "event_type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    container_number: Mapped[str] = mapped_column(String(11), default="")
    event_type: Mapped[CargoEventType] = mapped_column(str_enum(CargoEventType))
    occurred_at: Mapped[dt.datetime] = mapped_column()
    location: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="import")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
