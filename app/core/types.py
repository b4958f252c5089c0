"""Column types shared by all domains."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    """The current time in UTC; `clock_at` can set it (demo history, tests of periods)."""
    return _frozen_now.get() or datetime.now(UTC)


@contextmanager
def clock_at(when: datetime) -> Iterator[None]:
    """Run the block as if it were `when` (timezone-aware)."""
    token = _frozen_now.set(when.astimezone(UTC))
    try:
        yield
    finally:
        _frozen_now.reset(token)


class UTCDateTime(TypeDecorator):
    """Stores UTC on every database; always hands back timezone-aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _assume_city_time(value: datetime) -> datetime:
    from app.core.config import get_settings

    return value if value.tzinfo else value.replace(tzinfo=get_settings().tz)


# A time from a client: one without a zone is the city's local time (what the phone's clock shows).
ClientDateTime = Annotated[datetime, AfterValidator(_assume_city_time)]


# A row id from a client: bounded so an absurd number is a 422, not an integer overflow in the database.
DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]
