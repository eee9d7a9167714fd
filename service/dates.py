"""Dates an article states, resolved to ISO 8601; relative dates resolved from the dateline."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["DateMention", "find_dates", "find_dateline"]

_MONTH_NUM = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTH_NUM, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(r"\b(?P<day>\d{1,2})" + _ORD + r"\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(?P<year>\d{4}))?\b", re.I)
_MONTH_DAY = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})" + _ORD + r"(?:,?\s+(?P<year>\d{4}))?\b", re.I)
_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b")
_MONTH_YEAR = re.compile(r"\b" + _MONTH + r"\s+(?P<year>\d{4})\b", re.I)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RELATIVE = re.compile(r"\b(?P<rel>yesterday|today|(?:last\s+|on\s+|this\s+)?(?:" + "|".join(_WEEKDAYS) + r"))\b", re.I)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    iso: str  # YYYY-MM-DD, or YYYY-MM when no day is stated
    kind: str  # absolute | partial (year from the dateline) | month | relative


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _month(m: re.Match[str]) -> int:
    raw = m.group("mon").lower().rstrip(".")
    return int(raw) if raw.isdigit() else _MONTH_NUM[raw]


def _absolute(text: str, base_year: int | None) -> list[DateMention]:
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_ISO, _DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            year = int(m.group("year")) if m.group("year") else base_year
            if year is None:
                continue
            iso = _iso(year, _month(m), int(m.group("day")))
            if iso:
                kind = "absolute" if m.group("year") else "partial"
                out.append(DateMention(m.start(), m.end(), m.group(0), iso, kind))
                taken.append((m.start(), m.end()))
    for m in _MONTH_YEAR.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            out.append(
                DateMention(m.start(), m.end(), m.group(0), f"{int(m.group('year')):04d}-{_month(m):02d}", "month")
            )
    return out


def find_dateline(text: str) -> str | None:
    """The article's own date: the first full date in its first 400 characters."""
    head = [d for d in _absolute(text[:400], None) if d.kind == "absolute"]
    return min(head, key=lambda d: d.start).iso if head else None


def find_dates(text: str, dateline: str | None) -> list[DateMention]:
    """Every date the text states, in order; day-month without a year and relative dates
    ("yesterday", "on Wednesday") take their year and day from the dateline."""
    base = dt.date.fromisoformat(dateline) if dateline else None
    out = _absolute(text, base.year if base else None)
    if base is not None:
        for m in _RELATIVE.finditer(text):
            word = m.group("rel").lower().split()[-1]
            if word == "today":
                day = base
            elif word == "yesterday":
                day = base - dt.timedelta(days=1)
            else:
                back = (base.weekday() - _WEEKDAYS.index(word)) % 7
                day = base - dt.timedelta(days=back or (7 if m.group("rel").lower().startswith("last") else 0))
            out.append(DateMention(m.start(), m.end(), m.group(0), day.isoformat(), "relative"))
    return sorted(out, key=lambda d: d.start)
