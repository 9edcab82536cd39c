"""customer_search_grams: a substring index for names, English names and pinyin initials

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 02:51:20.313859

Substring and initials searches read every customer once (0007's keys serve only exact and prefix
matches). This table holds, for each customer, every window of up to four characters of its stored
keys (`portcrm.search_keys.customer_grams`, the rule the application writes with), so such a search
reads the short list of customers that share the query's rarest gram. Existing customers are filled
from the keys 0007 stored, in batches of BATCH: no pypinyin needed. The downgrade drops the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
KEYS = ("search_name", "search_name_en", "search_initials")
GRAM_TYPE = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    grams = op.create_table(
        "customer_search_grams",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("gram", GRAM_TYPE, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_search_grams_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "gram", "customer_id", name=op.f("pk_customer_search_grams")),
        sqlite_with_rowid=False,
    )
    _backfill(grams)


def _backfill(grams: sa.Table) -> None:
    from portcrm.search_keys import customer_grams  # the application's rule; no pypinyin behind it

    customers = sa.table("customers", *(sa.column(name) for name in ("id", *KEYS)))
    read = sa.select(customers.c.id, *(customers.c[key] for key in KEYS))
    connection, last = op.get_bind(), 0
    while rows := connection.execute(read.where(customers.c.id > last).order_by("id").limit(BATCH)).all():
        values = [
            {"kind": kind, "gram": gram, "customer_id": row.id}
            for row in rows
            for kind, gram in customer_grams(*(value or "" for value in row[1:]))
        ]
        if values:
            connection.execute(grams.insert(), values)
        last = rows[-1].id
    if connection.dialect.name == "postgresql":
        op.execute("ANALYZE customer_search_grams")  # the planner's first searches need its statistics


def downgrade() -> None:
    op.drop_table("customer_search_grams")
