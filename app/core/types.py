"""Column types and input types shared by all domains."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
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


# Times a client may send, and a stored time may hold. Far outside, a date is a typo or an attack, and
# year 9999 overflows the moment it is moved to UTC or to the city's zone.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def is_plausible(value: datetime) -> bool:
    """A timezone-aware time between EARLIEST_YEAR and LATEST_YEAR (checked before any zone arithmetic)."""
    return value.tzinfo is not None and EARLIEST_YEAR <= value.year <= LATEST_YEAR


def _plausible_city_time(value: datetime) -> datetime:
    from app.core.config import get_settings

    value = value if value.tzinfo else value.replace(tzinfo=get_settings().tz)
    if not is_plausible(value):
        raise ValueError(f"time must lie in the years {EARLIEST_YEAR}–{LATEST_YEAR}")
    return value


# A time from a client: one without a zone is the city's local time (what the phone's clock shows).
ClientDateTime = Annotated[datetime, AfterValidator(_plausible_city_time)]


# NUL (which PostgreSQL cannot store), the other C0 control characters, DEL and unpaired surrogates
# (which no database can encode) are never meant; tab, line feed and carriage return are.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def no_control_characters(value: str) -> str:
    """The text as it is, or ValueError when it holds what UserText refuses (for text read outside pydantic)."""
    if _UNWANTED.search(value):
        raise ValueError("text must not contain control characters (such as NUL) or unpaired surrogates")
    return value


# Any text a client sends (JSON fields, query parameters, form fields): a 422, never a database error.
UserText = Annotated[str, AfterValidator(no_control_characters)]


# A name is one line wherever it is shown (headings, lists, Excel cells, a robot message's first line,
# notices): besides what UserText refuses, no line or paragraph break (CR, LF, U+2028, U+2029, NEL), no tab,
# no other C0 or C1 control character; and none of the invisible characters that make one name look like
# another (bidi embeddings, overrides and isolates, zero-width space, BOM; ZWJ/ZWNJ stay: scripts need them).
# Free text (descriptions, notes, reasons) stays UserText.
_INVISIBLE = "\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_NOT_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{_INVISIBLE}]")


def single_line(value: str) -> str:
    """The text as it is, or ValueError when it is not one line of plain text (for text read outside pydantic)."""
    if _NOT_ONE_LINE.search(value):
        raise ValueError("须为单行文字，不能含换行、制表符等控制字符或不可见字符 "
                         "must be a single line: no line breaks, tabs, other control or invisible characters")
    return value


class _OneLineInSchema:
    """Shows the rule in the OpenAPI schema as a pattern (the validator above is what enforces it)."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema["pattern"] = f"^[^\x00-\x1f\x7f-\x9f\u2028\u2029{_INVISIBLE}]*$"
        return schema


# A name, title or code a client sends: one line (else 422).
SingleLine = Annotated[str, AfterValidator(single_line), _OneLineInSchema()]


# A row id from a client: bounded so an absurd number is a 422, not an integer overflow in the database.
DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]


def text_line(max_length: int, min_length: int = 1) -> Any:
    """A one-line name: stripped, between the lengths, no line breaks or other control characters (else 422)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(single_line), _OneLineInSchema()]
