"""The substring index of customer search: (kind, gram, customer) rows, kept beside the search keys.

Names, English names and pinyin initials are matched anywhere in the string, which no ordinary index
serves: without this table such a search read every customer. The grams are cut by `customer_grams`
(portcrm/search_keys.py) from the keys `Customer`'s validator keeps, so they follow every write that
goes through the ORM (services, imports, seeds); bulk loaders write them with the same function.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection, ForeignKey, String, and_, delete, event, insert, inspect, select, tuple_
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from portcrm.models.base import Base
from portcrm.models.customers import SEARCH_KEY, Customer
from portcrm.search_keys import customer_grams

INDEXED_KEYS = ("search_name", "search_name_en", "search_initials")


class SearchGram(Base):
    """One gram of one customer's keys. The key order is the lookup: a gram's customers come by id."""

    __tablename__ = "customer_search_grams"
    # on SQLite the primary key is the table itself (no rowid copy of every row)
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    gram: Mapped[str] = mapped_column(SEARCH_KEY, primary_key=True)
    # customers are never deleted (they are archived); the cascade keeps a delete by hand consistent
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)


def _rows(customer_id: int, grams: set[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"kind": kind, "gram": gram, "customer_id": customer_id} for kind, gram in sorted(grams)]


def _grams(values: Any) -> set[tuple[str, str]]:
    return customer_grams(*((getattr(values, key) or "") for key in INDEXED_KEYS))


@event.listens_for(Customer, "after_insert")
def _index_new(_mapper: Mapper[Customer], connection: Connection, customer: Customer) -> None:
    if grams := _grams(customer):
        connection.execute(insert(SearchGram), _rows(customer.id, grams))


@event.listens_for(Customer, "before_update")
def _reindex(_mapper: Mapper[Customer], connection: Connection, customer: Customer) -> None:
    """Only the grams that changed: the old ones are cut from the keys as stored, not as last loaded."""
    state = inspect(customer)
    if not any(state.attrs[key].history.has_changes() for key in INDEXED_KEYS):
        return
    c = Customer.__table__.c
    stored = connection.execute(select(*(c[key] for key in INDEXED_KEYS)).where(c.id == customer.id)).one()
    old, new = _grams(stored), _grams(customer)
    if gone := old - new:
        g = SearchGram.__table__.c
        connection.execute(
            delete(SearchGram).where(
                and_(g.customer_id == customer.id, tuple_(g.kind, g.gram).in_(sorted(gone)))
            )
        )
    if added := new - old:
        connection.execute(insert(SearchGram), _rows(customer.id, added))
