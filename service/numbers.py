"""Deterministic number parsing: find every numeric mention in a text.

A *mention* is a number as an article states it, with the words that qualify it:
"nearly 40 tonnes", "€14 million", "1 803", "thirty-nine", "Rs 12 crore", "more than 1,200 lb".
Everything here is pure and deterministic: the same text always gives the same mentions, and
no value is ever produced that the text does not state. The grounding validators and the
mined-mentions prompt strategy are both built on `find_numbers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from service.schema import Qualifier

__all__ = ["NumberMention", "find_numbers", "values_in", "is_vague_quantity"]


@dataclass(frozen=True)
class NumberMention:
    """One number stated in a text, with its span, unit and qualifier."""

    start: int
    end: int
    text: str
    value: float
    unit: str | None
    qualifier: Qualifier
    kind: str = "quantity"  # quantity | year | date | time | duration | age | percent | distance | identifier | ...

    @property
    def is_count_like(self) -> bool:
        """True for mentions that can be a count or a seizure quantity."""
        return self.kind == "quantity"

    @property
    def int_value(self) -> int | None:
        return int(self.value) if float(self.value).is_integer() else None


_UNITS_WORD = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS_WORD = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALE_WORD = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
}
_SCALE_SUFFIX = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mln": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "bn": 1_000_000_000,
    "b": 1_000_000_000,
    "billion": 1_000_000_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
    "hundred": 100,
}

# Currency markers before the number ("€14", "US$ 3", "Rs. 12") and after it ("12 euros").
_CURRENCY_PREFIX = {
    "€": "EUR",
    "eur": "EUR",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "₹": "INR",
    "rs": "INR",
    "rs.": "INR",
    "inr": "INR",
    "¥": "JPY",
    "chf": "CHF",
    "a$": "AUD",
    "c$": "CAD",
    "r$": "BRL",
}
_CURRENCY_SUFFIX = {
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "dollars": "USD",
    "dollar": "USD",
    "usd": "USD",
    "gbp": "GBP",
    "sterling": "GBP",
    "rupees": "INR",
    "rupee": "INR",
    "inr": "INR",
    "btc": "BTC",
    "bitcoin": "BTC",
    "bitcoins": "BTC",
    "eth": "ETH",
    "ether": "ETH",
    "usdt": "USDT",
    "chf": "CHF",
    "francs": "CHF",
    "yen": "JPY",
    "zloty": "PLN",
    "pln": "PLN",
    "kuna": "HRK",
    "lira": "TRY",
    "rand": "ZAR",
    "pesos": "MXN",
    "reais": "BRL",
}
_MASS_UNITS = {
    "kg": "kg",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "kilogrammes": "kg",
    "g": "g",
    "gr": "g",
    "grams": "g",
    "gram": "g",
    "grammes": "g",
    "t": "tonnes",
    "tonne": "tonnes",
    "tonnes": "tonnes",
    "ton": "tonnes",
    "tons": "tonnes",
    "metric tons": "tonnes",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "litres": "litres",
    "liters": "litres",
    "litre": "litres",
    "liter": "litres",
    "l": "litres",
    "ml": "ml",
    "oz": "oz",
    "ounces": "oz",
}

_QUALIFIERS_BEFORE: list[tuple[str, Qualifier]] = [
    ("no fewer than", Qualifier.lower_bound),
    ("no less than", Qualifier.lower_bound),
    ("more than", Qualifier.lower_bound),
    ("upwards of", Qualifier.lower_bound),
    ("in excess of", Qualifier.lower_bound),
    ("at least", Qualifier.lower_bound),
    ("over", Qualifier.lower_bound),
    ("above", Qualifier.lower_bound),
    ("nearly", Qualifier.upper_bound),
    ("almost", Qualifier.upper_bound),
    ("up to", Qualifier.upper_bound),
    ("just under", Qualifier.upper_bound),
    ("fewer than", Qualifier.upper_bound),
    ("less than", Qualifier.upper_bound),
    ("under", Qualifier.upper_bound),
    ("close to", Qualifier.upper_bound),
    ("approximately", Qualifier.approximate),
    ("approx.", Qualifier.approximate),
    ("an estimated", Qualifier.approximate),
    ("estimated", Qualifier.approximate),
    ("around", Qualifier.approximate),
    ("about", Qualifier.approximate),
    ("roughly", Qualifier.approximate),
    ("some", Qualifier.approximate),
    ("circa", Qualifier.approximate),
    ("c.", Qualifier.approximate),
    ("an approximate", Qualifier.approximate),
    ("nearly some", Qualifier.approximate),
]

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)

_WORD_NUMBER = r"(?:" + "|".join(sorted(list(_UNITS_WORD) + list(_TENS_WORD), key=len, reverse=True)) + r")"
_WORD_SEQ = re.compile(
    r"\b(?:a\s+|one\s+)?"
    + _WORD_NUMBER
    + r"(?:(?:[\s-]+(?:and\s+)?)(?:"
    + _WORD_NUMBER
    + r"|hundred|thousand|million|billion|lakhs?|crores?)\b)*\b"
    + r"|\ba\s+(?:hundred|thousand|million|billion)\b",
    re.IGNORECASE,
)
# Digits: grouped with , . space or narrow/no-break space, or plain, with an optional decimal part.
_DIGITS = re.compile(
    r"(?<![\w.,])(?:\d{1,3}(?:(?:,\d{3})+|(?:\.\d{3})+|(?:[ \u00a0\u202f]\d{3})+)(?![\d])"
    r"(?:[.,]\d+)?(?![\w])"
    r"|\d+(?:[.,]\d+)?(?=(?:k|m|mn|bn|b|kg|g|t|lb|lbs|ml)\b)"
    r"|\d+(?:[.,]\d+)?(?![\w]|[.,]\d))",
    re.IGNORECASE,
)
# Explicit zeros: "nobody has yet been arrested", "no arrests were made".
_ZERO = re.compile(
    r"\b(?:nobody|no one|no-one|no arrests|no suspects|no victims|no searches|no raids)\b", re.IGNORECASE
)
_VAGUE = re.compile(
    r"\b(?:dozens|hundreds|thousands|millions|billions|scores|a\s+dozen|a\s+few|several|"
    r"numerous|many|a\s+handful|a\s+couple)\b",
    re.IGNORECASE,
)


def is_vague_quantity(text: str) -> bool:
    """True when the text states an amount only vaguely ("dozens", "hundreds", "a dozen")."""
    return bool(_VAGUE.search(text))


def _words_to_number(words: str) -> float | None:
    tokens = [t for t in re.split(r"[\s-]+", words.lower()) if t and t != "and"]
    if not tokens:
        return None
    total = 0
    current = 0
    seen = False
    for tok in tokens:
        if tok == "a":
            current = max(current, 1)
            continue
        if tok in _UNITS_WORD:
            current += _UNITS_WORD[tok]
            seen = True
        elif tok in _TENS_WORD:
            current += _TENS_WORD[tok]
            seen = True
        elif tok == "hundred":
            current = max(current, 1) * 100
            seen = True
        elif tok in _SCALE_WORD:
            total += max(current, 1) * _SCALE_WORD[tok]
            current = 0
            seen = True
        else:
            return None
    return float(total + current) if seen else None


def _digits_to_number(raw: str) -> float:
    s = raw.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?", s):
        s = s.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        return float(s.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", s):
        # European grouping: "1.800" is one thousand eight hundred; "2.500,5" has a decimal comma.
        return float(s.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+,\d{1,2}", s):
        return float(s.replace(",", "."))  # decimal comma: "2,5 tonnes"
    if re.fullmatch(r"\d+,\d{3}", s):
        return float(s.replace(",", ""))
    return float(s.replace(",", ""))


def _qualifier_before(text: str, start: int) -> tuple[Qualifier, int]:
    window = text[max(0, start - 24) : start].lower()
    window = re.sub(r"[\s\u00a0]+", " ", window)
    for phrase, qual in _QUALIFIERS_BEFORE:
        if re.search(r"(?:^|[^\w])" + re.escape(phrase) + r" ?$", window):
            # find the phrase start in the original text for the span
            idx = text.lower().rfind(phrase.split(" ")[0], max(0, start - 24), start)
            return qual, idx if idx >= 0 else start
    return Qualifier.exact, start


def _classify(text: str, start: int, end: int, value: float, raw: str, unit: str | None) -> str:
    before = text[max(0, start - 16) : start].lower()
    after = text[end : end + 24].lower()
    line_start = text.rfind("\n", 0, start) + 1
    if unit is None and raw.isdigit():
        if re.match(r"^[ \t]*$", text[line_start:start]) and re.match(r"^[.)]\s", after):
            return "list_marker"
        if re.match(r"^(?:st|nd|rd|th)\b", after):
            return "ordinal"
        if re.match(r"^\s*(?:%|per\s*cent|percent)", after):
            return "percent"
        if len(raw) == 4 and 1900 <= value <= 2100:
            return "year"
        if re.search(r"(?:" + _MONTHS + r")\.?\s*$", before) or re.match(
            r"^\s*(?:and\s+\d{1,2}\s+|-\s*\d{1,2}\s+|to\s+\d{1,2}\s+)?(?:" + _MONTHS + r")\b", after
        ):
            if value <= 31:
                return "date"
        if re.match(r"^\s*(?:[:.]\d{2})\s*(?:a\.?m|p\.?m|h)\b", after):
            return "time"
    if unit is None and re.search(
        r"\b(?:sector|phase|block|plot|room|gate|route|highway|street|lane|platform|pier|berth|terminal|"
        r"article|section|paragraph|chapter|flight|bus|no\.|number|unit|floor|level|district|ward|zone)\s*$",
        before,
    ):
        return "identifier"  # addresses and references: "Sector 137", "Article 3"
    if (
        unit is None
        and raw[:1].isdigit()
        and (re.match(r"^[-/]\d", after) or re.search(r"\d[-/]$", text[max(0, start - 2) : start]))
    ):
        return "identifier"  # phone numbers, case numbers: "1-877-792-2873"
    if unit is None and re.fullmatch(r"one|a", raw.strip(), re.IGNORECASE) and re.match(r"^\s+of\b", after):
        return "partitive"  # "one of them", "one of the largest"
    if unit is None and re.match(
        r"^\s*(?:nautical\s+)?(?:miles?|km|kilomet(?:re|er)s?|metres?|meters?|feet|ft|sq|square)\b", after
    ):
        return "distance"
    if unit is None:
        if re.match(r"^[\s-]*(?:years?|yrs?)[\s-]*old\b|^-year-old|^\s*years? of age", after):
            return "age"
        if re.search(r"\baged?\s*$|\bages?\b(?: of| from| between)?[\s\d,and-]*(?:to|and)?\s*$", before):
            return "age"
        if re.match(r"^[\s-]*(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b", after):
            return "duration"
        if re.match(r"^\s*(?:%|per\s*cent|percent)", after):
            return "percent"
    return "quantity"


def _unit_after(text: str, end: int) -> tuple[str | None, float, int]:
    """Scale multiplier and unit right after a number: "14 million euros", "40 tonnes"."""
    multiplier = 1.0
    pos = end
    m = re.match(
        r"[ \u00a0]?(k|m|mn|mln|bn|b|thousand|million|millions|billion|lakhs?|crores?)\b",
        text[pos:],
        re.IGNORECASE,
    )
    if m:
        word = m.group(1).lower()
        # a bare "m" or "b" is a scale only when glued to the number ("$2.3m")
        if (
            word in {"m", "b"}
            and m.group(0).startswith((" ", "\u00a0"))
            or word == "m"
            and re.match(r"[ \u00a0]?m\s*(?:of|long|high|wide|deep)\b", text[pos:])
        ):
            m = None
        if m:
            multiplier = _SCALE_SUFFIX[word]
            pos += m.end()
    tail = text[pos : pos + 30]
    m = re.match(r"[ \u00a0]?(?:of\s+)?(metric tons|[a-z]+)\b", tail, re.IGNORECASE)
    if m:
        word = m.group(1).lower().rstrip(".")
        if word in {"pounds", "pound"} and re.match(
            r"[ \u00a0]?(?:pounds?)\s+(?:sterling|in cash|cash)", tail, re.IGNORECASE
        ):
            return "GBP", multiplier, pos + m.end()
        if word in _MASS_UNITS and not (word == "t" and not re.match(r"[ \u00a0]?t\b", tail)):
            if word == "l" and not re.match(r"[ \u00a0]?l\b", tail):
                return None, multiplier, pos
            return _MASS_UNITS[word], multiplier, pos + m.end()
        if word in _CURRENCY_SUFFIX:
            return _CURRENCY_SUFFIX[word], multiplier, pos + m.end()
        if m.group(1).isupper() and m.group(1) in _iso_currencies():
            return m.group(1), multiplier, pos + m.end()  # "450,000 RSD"
    return None, multiplier, pos


@lru_cache(maxsize=1)
def _iso_currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _currency_before(text: str, start: int) -> tuple[str | None, int]:
    window = text[max(0, start - 6) : start]
    m = re.search(r"(US\$|A\$|C\$|R\$|[€$£₹¥]|\b(?:EUR|USD|GBP|INR|CHF|Rs\.?))[ \u00a0]?$", window, re.IGNORECASE)
    if m:
        return _CURRENCY_PREFIX.get(m.group(1).lower()), start - (len(window) - m.start())
    m = re.search(r"\b([A-Z]{3})[ \u00a0]?$", window)  # any ISO 4217 code: "CZK 11.4m", "RSD 450,000"
    if m and m.group(1) in _iso_currencies():
        return m.group(1), start - (len(window) - m.start())
    return None, start


def find_numbers(text: str) -> list[NumberMention]:
    """Every number the text states, in order, with unit, qualifier and kind.

    Vague amounts ("dozens", "hundreds") are not numbers and are never returned.
    """
    raw_hits: list[tuple[int, int, float, str]] = []
    taken = [False] * (len(text) + 1)
    for m in _DIGITS.finditer(text):
        raw = m.group(0)
        try:
            value = _digits_to_number(raw)
        except ValueError:
            continue
        raw_hits.append((m.start(), m.end(), value, raw))
        for i in range(m.start(), m.end()):
            taken[i] = True
    for m in _WORD_SEQ.finditer(text):
        if any(taken[i] for i in range(m.start(), m.end())):
            continue
        words = m.group(0)
        if re.fullmatch(r"(?:a|one)\s+", words):
            continue
        value = _words_to_number(words)
        if value is None:
            continue
        raw_hits.append((m.start(), m.end(), value, words))
    for m in _ZERO.finditer(text):
        if not any(taken[i] for i in range(m.start(), m.end())):
            raw_hits.append((m.start(), m.end(), 0.0, m.group(0)))
    raw_hits.sort()

    mentions: list[NumberMention] = []
    for start, end, base_value, raw in raw_hits:
        currency, cur_start = _currency_before(text, start)
        unit, multiplier, unit_end = _unit_after(text, end)
        if currency and unit in _MASS_UNITS.values():
            unit_end = end  # "$40 tonnes" does not happen; prefer the currency
            unit = None
        if currency:
            unit = currency
        value = base_value * multiplier
        span_start = min(cur_start, start)
        qualifier, q_start = _qualifier_before(text, span_start)
        after = text[unit_end : unit_end + 12].lower()
        if qualifier is Qualifier.exact and re.match(r"^\s*(?:\+|or more\b|plus\b)", after):
            qualifier = Qualifier.lower_bound
        kind = _classify(text, start, end, value, raw.strip(), unit)
        mentions.append(
            NumberMention(
                start=q_start,
                end=unit_end,
                text=text[q_start:unit_end],
                value=round(value, 6),
                unit=unit,
                qualifier=qualifier,
                kind=kind,
            )
        )
    return mentions


def values_in(span: str) -> list[NumberMention]:
    """The count-like numbers a span states (used to check a value against its evidence)."""
    return [m for m in find_numbers(span) if m.is_count_like]
