"""The demo shop's clock: its window of time, its seasons and WooCommerce's date strings.

Times inside the demo are whole UTC epoch seconds (WooCommerce dates have second
resolution, so "strictly later" means at least one second later). The shop keeps its books
in ``SHOP_TIMEZONE``: local dates are written without an offset, the ``*_gmt`` ones in UTC.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHOP_TIMEZONE = "Europe/Warsaw"
MINUTE = 60
HOUR = 3_600
DAY = 86_400

# Relative order intensity by local hour (0..23) and weekday (Monday..Sunday).
_HOURLY = (
    0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.55, 0.8, 0.95, 1.0, 1.05,
    1.15, 1.1, 1.0, 0.95, 1.0, 1.1, 1.3, 1.5, 1.6, 1.45, 1.0, 0.55,
)  # fmt: skip
_WEEKDAY = (1.0, 0.95, 0.95, 1.0, 0.9, 0.85, 1.2)
_MONTHLY = (0.8, 0.85, 0.95, 1.0, 1.0, 0.9, 0.85, 0.9, 1.0, 1.05, 1.4, 1.7)
_PEAK = 3.0  # Black Friday to Cyber Monday
_TREND = (0.8, 1.25)  # a growing shop: intensity at the start and at the end of the window


@dataclass(frozen=True)
class ShopCalendar:
    """The window ``[start, end)`` of the demo, with a per-hour intensity table."""

    start: int
    end: int
    tz: ZoneInfo
    intensities: tuple[float, ...] = field(repr=False)
    business: tuple[bool, ...] = field(repr=False)
    peak: float = field(repr=False)
    sales: tuple[tuple[int, int], ...] = field(repr=False, default=())

    @classmethod
    def ending(cls, now: datetime, days: int) -> ShopCalendar:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if days < 1:
            raise ValueError("days must be at least 1")
        end = int(now.timestamp())
        start = end - days * DAY
        tz = ZoneInfo(SHOP_TIMEZONE)
        hours = [datetime.fromtimestamp(start + h * HOUR, tz) for h in range(days * 24 + 24 * 14)]
        table = tuple(_intensity(local, h / (days * 24)) for h, local in enumerate(hours))
        business = tuple(local.weekday() < 5 and 9 <= local.hour < 17 for local in hours)
        plain = cls(start, end, tz, table, business, max(table))
        return replace(plain, sales=tuple(plain.sale_weekends()))

    def intensity(self, ts: int) -> float:
        """How busy the shop is at ``ts`` (about 1 on an average hour)."""
        index = (ts - self.start) // HOUR
        return self.intensities[index] if 0 <= index < len(self.intensities) else 1.0

    def sample_time(self, rng: random.Random, lo: int, hi: int) -> int:
        """A moment in ``[lo, hi)`` drawn with the shop's seasonal intensity."""
        if hi <= lo:
            return lo
        while True:
            ts = rng.randrange(lo, hi)
            if rng.random() * self.peak < self.intensity(ts):
                return ts

    def next_time(self, rng: random.Random, after: int, per_day: float) -> int | None:
        """The next event of a process with ``per_day`` average rate, shaped by the seasons;
        None when it falls past the end of the window."""
        rate = per_day * self.peak / DAY
        ts = after
        while True:
            ts += int(rng.expovariate(rate)) + 1
            if ts >= self.end:
                return None
            if rng.random() * self.peak < self.intensity(ts):
                return ts

    def business_time(self, rng: random.Random, ts: int) -> int:
        """``ts`` if the shop's staff work then, else a moment in their next working hour."""
        index = (ts - self.start) // HOUR
        if not 0 <= index < len(self.business) or self.business[index]:
            return ts
        while index < len(self.business) and not self.business[index]:
            index += 1
        return self.start + index * HOUR + rng.randrange(5 * MINUTE, 55 * MINUTE)

    def local_month(self, ts: int) -> int:
        return datetime.fromtimestamp(ts, self.tz).month

    def wc_dates(self, ts: int) -> tuple[str, str]:
        """``(local, gmt)`` date strings as WooCommerce writes them: no offset, no fraction."""
        moment = datetime.fromtimestamp(ts, UTC)
        local = moment.astimezone(self.tz).replace(tzinfo=None).isoformat()
        return local, moment.replace(tzinfo=None).isoformat()

    def sale_weekends(self) -> list[tuple[int, int]]:
        """Black Friday 00:00 to the end of Cyber Monday (local), for each one in the window."""
        spans = []
        first = datetime.fromtimestamp(self.start, self.tz).year
        for year in range(first, datetime.fromtimestamp(self.end, self.tz).year + 1):
            friday = datetime.combine(black_friday(year), datetime.min.time(), self.tz)
            begin, finish = int(friday.timestamp()), int((friday + timedelta(days=4)).timestamp())
            if self.start <= begin and finish <= self.end:
                spans.append((begin, finish - 1))
        return spans


def send_delay(rng: random.Random) -> int:
    """Seconds between a change and its webhook leaving the shop (Action Scheduler queue)."""
    return rng.randint(2, 45)


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


def _intensity(local: datetime, progress: float) -> float:
    day = local.date()
    friday = black_friday(day.year)
    if friday <= day <= friday + timedelta(days=3):
        season = _PEAK
    elif day.month == 12 and day.day > 20:
        season = 1.2 if day.day <= 24 else 0.7
    else:
        season = _MONTHLY[day.month - 1]
    trend = _TREND[0] + (_TREND[1] - _TREND[0]) * min(progress, 1.0)
    return _HOURLY[local.hour] * _WEEKDAY[local.weekday()] * season * trend
