"""customers: search keys (folded code and names, pinyin, initials) in indexed columns

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 23:42:41.611357

Customer search used to compute pinyin for every customer in Python; it now matches these columns in SQL.
Existing rows are filled in batches of BATCH by the same function the application uses
(`portcrm.search_keys.customer_keys`), imported only when there is a row to fill, so a fresh database
never needs it. Indexes are built after the fill. No batch mode on SQLite: adding and dropping columns
in place keeps the table (see downgrade). On PostgreSQL the columns use the "C" collation, so a
typed prefix is an index range whatever the database's collation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
KEYS = ("search_code", "search_name", "search_name_en", "search_pinyin", "search_initials")
INDEXED = KEYS[:4]  # initials are matched anywhere in the string: an index would not serve
KEY_TYPE = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    for key in KEYS:
        op.add_column("customers", sa.Column(key, KEY_TYPE, server_default="", nullable=False))
    _backfill()
    for key in INDEXED:
        op.create_index(op.f(f"ix_customers_{key}"), "customers", [key], unique=False)


def _backfill() -> None:
    customers = sa.table("customers", *(sa.column(name) for name in ("id", "code", "name", "name_en", *KEYS)))
    read = sa.select(customers.c.id, customers.c.code, customers.c.name, customers.c.name_en)
    write = (
        customers.update()
        .where(customers.c.id == sa.bindparam("customer_id"))
        .values({key: sa.bindparam(key) for key in KEYS})
    )
    connection, last = op.get_bind(), 0
    while rows := connection.execute(read.where(customers.c.id > last).order_by("id").limit(BATCH)).all():
        from portcrm.search_keys import customer_keys  # see the module docstring

        connection.execute(
            write, [{"customer_id": r.id, **customer_keys(r.code, r.name, r.name_en)} for r in rows]
        )
        last = rows[-1].id


def downgrade() -> None:
    # not batch mode: SQLite drops the columns in place (3.35+), where a batch would copy the table and
    # DROP the old one, which with foreign keys on deletes every customer's contacts, visits and more
    for key in reversed(INDEXED):
        op.drop_index(op.f(f"ix_customers_{key}"), table_name="customers")
    for key in reversed(KEYS):
        op.drop_column("customers", key)
