"""terminal and carrier feeds: subscriptions, receipts, unmatched events, EDIFACT interchanges, arrival times

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:40:00

DCSA Track & Trace publishers post signed events (`feed_subscriptions` holds who may, with the shared
secret); every feed event is remembered by its source's own id (`feed_event_receipts`) so that a replayed
batch changes nothing; an event naming no known shipment waits in `unmatched_feed_events` until the shipment
is imported; EDIFACT interchanges are remembered by sender and control reference. Shipments gain the actual
departure time and, for the arrival and departure times, how sure each is and when its source said so.
The downgrade drops all of it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLASSIFIER = sa.Enum("PLN", "EST", "ACT", name="timeclassifier", native_enum=False, length=3)


def upgrade() -> None:
    op.create_table(
        "feed_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("previous_secret", sa.String(length=128), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rotated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_subscriptions")),
        sa.UniqueConstraint("name", name=op.f("uq_feed_subscriptions_name")),
        sa.UniqueConstraint("subscription_id", name=op.f("uq_feed_subscriptions_subscription_id")),
    )
    op.create_table(
        "feed_event_receipts",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id", name=op.f("pk_feed_event_receipts")),
    )
    op.create_table(
        "unmatched_feed_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("vessel_imo", sa.String(length=7), nullable=True),
        sa.Column("voyage", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmatched_feed_events")),
        sa.UniqueConstraint("source", "event_id", name=op.f("uq_unmatched_feed_events_source_event_id")),
    )
    for column in ("container_number", "reference", "matched_at"):
        op.create_index(f"ix_unmatched_feed_events_{column}", "unmatched_feed_events", [column])
    op.create_table(
        "edi_interchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=35), nullable=False),
        sa.Column("control_reference", sa.String(length=14), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edi_interchanges")),
        sa.UniqueConstraint(
            "sender", "control_reference", name=op.f("uq_edi_interchanges_sender_control_reference")
        ),
    )
    # plain ADD COLUMN on both backends: no table copy
    op.add_column("shipments", sa.Column("atd", sa.DateTime(), nullable=True))
    op.add_column("shipments", sa.Column("eta_classifier", _CLASSIFIER, nullable=True))
    op.add_column("shipments", sa.Column("eta_reported_at", sa.DateTime(), nullable=True))
    op.add_column("shipments", sa.Column("etd_classifier", _CLASSIFIER, nullable=True))
    op.add_column("shipments", sa.Column("etd_reported_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    for column in ("etd_reported_at", "etd_classifier", "eta_reported_at", "eta_classifier", "atd"):
        op.drop_column("shipments", column)
    op.drop_table("edi_interchanges")
    for column in ("matched_at", "reference", "container_number"):
        op.drop_index(f"ix_unmatched_feed_events_{column}", table_name="unmatched_feed_events")
    op.drop_table("unmatched_feed_events")
    op.drop_table("feed_event_receipts")
    op.drop_table("feed_subscriptions")
