"""Time for the sandbox: the real clock, and a movable one for tests and demos.

Every time-dependent rule of the sandbox (SPOT's 20-minute session expiry, SpotOn's 5-minute
lag and 90-day availability, the dates in generated data, XGL's ``server_date_time``) reads
``now()`` from the app's clock and from nothing else, so a :class:`FakeClock` makes all of
them deterministic and lets a test jump 21 minutes without sleeping.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")


class Clock:
    """The real clock: :meth:`now` is the current UTC time, timezone-aware. It cannot be moved."""

    movable = False

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock(Clock):
    """A clock that stands still until it is told to move.

    *start* is a datetime or an ISO 8601 / RFC 3339 string; a naive datetime (or a string
    without an offset) is taken as UTC. :meth:`now` always returns an aware UTC datetime.
    """

    movable = True

    def __init__(self, start: datetime | str) -> None:
        self._now = parse_instant(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock by *seconds* (negative moves it back) and return the new time."""
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, when: datetime | str) -> datetime:
        """Put the clock at *when* (as accepted by the constructor) and return it."""
        self._now = parse_instant(when)
        return self._now


def parse_instant(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string; ValueError if unparseable."""
    if isinstance(value, str):
        text = value.strip()
        if not _RFC3339.match(text):
            raise ValueError(f"{value!r} is not an ISO 8601 date/time such as 2024-05-01T12:00:00Z")
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_instant(when: datetime, *, millis: bool = False) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, to the second or (``millis``) to the millisecond."""
    when = when.astimezone(timezone.utc)
    if millis:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")

