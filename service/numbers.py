"""Deterministic number parsing: find every numeric mention in a text.

A *mention* is a number as an article states it, with the words that qualify it:
"nearly 40 tonnes", "€14 million", "1 803", "thirty-nine", "Rs 12 crore", "more than 1,200 lb".
Everything here is pure and deterministic: the same text always gives the same mentions, and
no value is ever produced that the text does not state. The grounding validators and the
mined-mentions prompt strategy are both built on `find_numbers`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from service import lexicon
from service.schema import Qualifier

__all__ = [
    "NUMBER_WORDS",
    "TENS_WORDS",
    "NumberMention",
    "find_numbers",
    "values_in",
    "is_vague_quantity",
    "unit_aliases",
    "mass_in_kg",
    "CRYPTO_CODES",
]


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
NUMBER_WORDS: Mapping[str, int] = MappingProxyType(_UNITS_WORD)  # "zero" … "nineteen", read-only
TENS_WORDS: Mapping[str, int] = MappingProxyType(_TENS_WORD)  # "twenty" … "ninety", read-only
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
# One table of units and currencies (service/lexicon/units.toml), read by the scorer too.
_SCALE_SUFFIX: dict[str, int] = {k: int(v) for k, v in lexicon.mapping("units", "scale_suffix").items()}
_CURRENCY_PREFIX = lexicon.mapping("units", "currency_prefix")
_CURRENCY_SUFFIX = lexicon.mapping("units", "currency_suffix")
_CURRENCY_SUFFIX_SYMBOL = lexicon.mapping("units", "currency_suffix_symbol")
_MASS_UNITS = lexicon.mapping("units", "mass")
CRYPTO_CODES = frozenset(lexicon.words("units", "crypto"))


def unit_aliases() -> dict[str, str]:
    """Every way of writing a unit or currency (lower-cased) to its canonical form: the scorer's table."""
    table: dict[str, str] = {}
    for group in ("mass", "currency_prefix", "currency_suffix", "count_units"):
        table.update(lexicon.mapping("units", group))
    table.update({k.lower(): v for k, v in _CURRENCY_SUFFIX_SYMBOL.items()})
    return table


def mass_in_kg() -> dict[str, float]:
    """Kilograms in one canonical mass unit."""
    return {k: float(v) for k, v in lexicon.mapping("units", "mass_in_kg").items()}


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
    r"\b(?:(?:a\s+|one\s+)?"
    + _WORD_NUMBER
    + r"|(?:a\s+|one\s+)?hundred(?=[\s-]+and\s))"
    + r"(?:(?:[\s-]+(?:and\s+)?)(?:"
    + _WORD_NUMBER
    + r"|hundred|thousand|million|billion|lakhs?|crores?)\b){0,12}\b"
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


_SPACE_GROUPED = re.compile(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?")
_COMMA_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DOT_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")


def _digits_to_number(raw: str) -> float:
    s = raw.replace("\u00a0", " ").replace("\u202f", " ")
    if _SPACE_GROUPED.fullmatch(s):
        s = s.replace(" ", "")
    if _COMMA_GROUPED.fullmatch(s):
        return float(s.replace(",", ""))
    if _DOT_GROUPED.fullmatch(s):
        # European grouping: "1.800" is one thousand eight hundred; "2.500,5" has a decimal comma.
        return float(s.replace(".", "").replace(",", "."))
    if _DECIMAL_COMMA.fullmatch(s):
        return float(s.replace(",", "."))  # decimal comma: "2,5 tonnes"
    return float(s.replace(",", ""))


_QUALIFIER_OF = dict(_QUALIFIERS_BEFORE)
# The first phrase of the list that ends the window wins, as a loop over the list would find it.
_QUALIFIER_PATTERNS = [(p, re.compile(r"(?:^|[^\w])" + re.escape(p) + r" ?$")) for p, _ in _QUALIFIERS_BEFORE]
_QUALIFIER_ANY = re.compile(r"(?:" + "|".join(re.escape(p) for p, _ in _QUALIFIERS_BEFORE) + r") ?$")
_SPACES = re.compile(r"[\s\u00a0]+")


def _qualifier_before(text: str, start: int) -> tuple[Qualifier, int]:
    window = _SPACES.sub(" ", text[max(0, start - 24) : start].lower())
    if not _QUALIFIER_ANY.search(window):
        return Qualifier.exact, start
    for phrase, pattern in _QUALIFIER_PATTERNS:
        if pattern.search(window):
            # find the phrase start in the original text for the span
            lo = max(0, start - 24)
            idx = text[lo:start].lower().rfind(phrase.split(" ")[0])
            return _QUALIFIER_OF[phrase], lo + idx if idx >= 0 else start
    return Qualifier.exact, start


_CLOCK = re.compile(r"\d{1,2}[.:]\d{2}")
_AM_PM = re.compile(r"\s*(?:a\.?m\b|p\.?m\b|hrs\b|h\b|o'clock)", re.IGNORECASE)
_MINUTES_AFTER = re.compile(r":[0-5]\d\b")
_CLOCK_HOUR_BEFORE = re.compile(r"(?<!\d)\d{1,2}:$")
_IS_YEAR = re.compile(r"(?:19|20)\d\d")
_IDENTIFIER_BEFORE = re.compile(
    lexicon.alternation(lexicon.words("labels", "identifier_nouns")) + r"\s*$", re.IGNORECASE
)
_GLUED_TO_NAME = re.compile(r"(?<![\w-])[A-Za-z]{1,12}-$")
_AGE_LIST_BEFORE = re.compile(
    r"\b(?:aged?|ages)\s+(?:of\s+|between\s+|from\s+)?(?:\d{1,3}(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*[-–]\s*|\s+to\s+)\d{1,3}){0,6}"
    r"(?:\s*,\s*|\s+and\s+|\s+or\s+|\s*[-–]\s*|\s+to\s+))?$",
    re.IGNORECASE,
)


def _at_line_start(text: str, pos: int) -> bool:
    """Only spaces or tabs stand between the last line break (or the text's start) and `pos`."""
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n"


_LIST_MARK_AFTER = re.compile(r"[.)]\s")
_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th)\b")
_PERCENT_AFTER = re.compile(r"\s*(?:%|per\s*cent|percent)")
_MONTH_BEFORE = re.compile(r"(?:" + _MONTHS + r")\.?\s*$")
_MONTH_AFTER = re.compile(r"\s*(?:and\s+\d{1,2}\s+|-\s*\d{1,2}\s+|to\s+\d{1,2}\s+)?(?:" + _MONTHS + r")\b")
_TIME_AFTER = re.compile(r"\s*(?:[:.]\d{2})\s*(?:a\.?m|p\.?m|h)\b")
_DASHED_AFTER = re.compile(r"[-/]\d")
_DASHED_BEFORE = re.compile(r"\d[-/]$")
_PARTITIVE = re.compile(r"one|a", re.IGNORECASE)
_OF_AFTER = re.compile(r"\s+of\b")
_DISTANCE_AFTER = re.compile(r"\s*(?:nautical\s+)?(?:miles?|km|kilomet(?:re|er)s?|metres?|meters?|feet|ft|sq|square)\b")
_AGE_AFTER = re.compile(r"[\s-]*(?:years?|yrs?)[\s-]*old\b|-year-old|\s*years? of age")
_AGE_BEFORE = re.compile(r"\baged?\s*$|\bages?\b(?: of| from| between)?[\s\d,and-]*(?:to|and)?\s*$")
_DURATION_AFTER = re.compile(r"[\s-]*(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b")


def _classify_bare_digits(text: str, start: int, value: float, raw: str, before: str, after: str) -> str | None:
    if _at_line_start(text, start) and _LIST_MARK_AFTER.match(after):
        return "list_marker"
    if _ORDINAL_AFTER.match(after):
        return "ordinal"
    if _PERCENT_AFTER.match(after):
        return "percent"
    if len(raw) == 4 and 1900 <= value <= 2100:
        return "year"
    if (_MONTH_BEFORE.search(before) or _MONTH_AFTER.match(after)) and value <= 31:
        return "date"
    if _TIME_AFTER.match(after):
        return "time"
    return None


def _classify_unitless(text: str, start: int, raw: str, before: str, after: str) -> str | None:
    if _IDENTIFIER_BEFORE.search(before):
        return "identifier"  # addresses and references: "Sector 137", "Article 3"
    if raw[:1].isdigit() and (_DASHED_AFTER.match(after) or _DASHED_BEFORE.search(text[max(0, start - 2) : start])):
        return "identifier"  # phone numbers, case numbers: "1-877-792-2873"
    if _PARTITIVE.fullmatch(raw.strip()) and _OF_AFTER.match(after):
        return "partitive"  # "one of them", "one of the largest"
    if _DISTANCE_AFTER.match(after):
        return "distance"
    if (
        _AGE_AFTER.match(after)
        or _AGE_BEFORE.search(before)
        or _AGE_LIST_BEFORE.search(text[max(0, start - 48) : start])
    ):
        return "age"  # "36 years old", "aged 21", "aged 20, 25 and 30": every number of the list is an age
    if _DURATION_AFTER.match(after):
        return "duration"
    if _PERCENT_AFTER.match(after):
        return "percent"
    return None


def _classify(text: str, start: int, end: int, value: float, raw: str, unit: str | None) -> str:
    if unit is not None:
        return "quantity"
    before = text[max(0, start - 16) : start].lower()
    after = text[end : end + 24].lower()
    if _CLOCK.fullmatch(raw) and _AM_PM.match(after):
        return "time"  # "10.30 am", "9:45 p.m."
    if raw.isdigit() and value <= 24 and _MINUTES_AFTER.match(after):
        return "time"  # the hour of "14:45"
    if raw.isdigit() and len(raw) == 2 and _CLOCK_HOUR_BEFORE.search(text[max(0, start - 3) : start]):
        return "time"  # the minutes of "10:30"
    if raw[:1].isdigit() and not _IS_YEAR.fullmatch(raw) and _GLUED_TO_NAME.search(text[max(0, start - 12) : start]):
        return "identifier"  # "Covid-19", "MH-17", "F-35": a name, not an amount
    kind = _classify_bare_digits(text, start, value, raw, before, after) if raw.isdigit() else None
    return kind or _classify_unitless(text, start, raw, before, after) or "quantity"


_SCALE_AFTER = re.compile(
    r"[ \u00a0]?(k|m|mn|mln|bn|b|thousand|million|millions|billion|lakhs?|crores?)\b", re.IGNORECASE
)
_METRE_AFTER = re.compile(r"[ \u00a0]?m\s*(?:of|long|high|wide|deep)\b")
_UNIT_WORD_AFTER = re.compile(r"[ \u00a0]?(?:of\s+)?(metric tons|[a-z]+)\b", re.IGNORECASE)
_STERLING_AFTER = re.compile(r"[ \u00a0]?(?:pounds?)\s+(?:sterling|in cash|cash)", re.IGNORECASE)
_T_AFTER = re.compile(r"[ \u00a0]?t\b")
_L_AFTER = re.compile(r"[ \u00a0]?l\b")
_SYMBOL_AFTER = re.compile(
    r"[ \u00a0\u202f]?("
    + "|".join(re.escape(k) for k in sorted(_CURRENCY_SUFFIX_SYMBOL, key=len, reverse=True))
    + r")(?![\w$€£])(?![ \u00a0]?\d)"
)


def _unit_after(text: str, end: int) -> tuple[str | None, float, int]:
    """Scale multiplier and unit right after a number: "14 million euros", "40 tonnes", "34,50 €"."""
    multiplier = 1.0
    pos = end
    m = _SCALE_AFTER.match(text, pos)
    if m:
        word = m.group(1).lower()
        # a bare "m" or "b" is a scale only when glued to the number ("$2.3m")
        if (
            word in {"m", "b"}
            and m.group(0).startswith((" ", "\u00a0"))
            or word == "m"
            and _METRE_AFTER.match(text, pos)
        ):
            m = None
        if m:
            multiplier = _SCALE_SUFFIX[word]
            pos = m.end()
    m = _UNIT_WORD_AFTER.match(text, pos, pos + 30)
    if m:
        word = m.group(1).lower().rstrip(".")
        if word in {"pounds", "pound"} and _STERLING_AFTER.match(text, pos, pos + 30):
            return "GBP", multiplier, m.end()
        if word in _MASS_UNITS and not (word == "t" and not _T_AFTER.match(text, pos, pos + 30)):
            if word == "l" and not _L_AFTER.match(text, pos, pos + 30):
                return None, multiplier, pos
            return _MASS_UNITS[word], multiplier, m.end()
        if word in _CURRENCY_SUFFIX:
            return _CURRENCY_SUFFIX[word], multiplier, m.end()
        if m.group(1).isupper() and m.group(1) in _iso_currencies():
            return m.group(1), multiplier, m.end()  # "450,000 RSD"
    m = _SYMBOL_AFTER.match(text, pos, pos + 30)
    if m:
        return _CURRENCY_SUFFIX_SYMBOL[m.group(1)], multiplier, m.end()  # "34,50 €", "9 800 Kč"
    return None, multiplier, pos


@lru_cache(maxsize=1)
def _iso_currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


_PREFIX_SYMBOLS = "".join(k for k in _CURRENCY_PREFIX if len(k) == 1)
_CURRENCY_BEFORE = re.compile(
    r"(US\$|A\$|C\$|R\$|[" + re.escape(_PREFIX_SYMBOLS) + r"]|\b(?:EUR|USD|GBP|INR|CHF|Rs\.?))[ \u00a0]?$",
    re.IGNORECASE,
)
_ISO_BEFORE = re.compile(r"\b([A-Z]{3})[ \u00a0]?$")


def _currency_before(text: str, start: int) -> tuple[str | None, int]:
    window = text[max(0, start - 6) : start]
    m = _CURRENCY_BEFORE.search(window)
    if m:
        return _CURRENCY_PREFIX.get(m.group(1).lower()), start - (len(window) - m.start())
    m = _ISO_BEFORE.search(window)  # any ISO 4217 code: "CZK 11.4m", "RSD 450,000"
    if m and m.group(1) in _iso_currencies():
        return m.group(1), start - (len(window) - m.start())
    return None, start


_DOT_THOUSANDS = re.compile(r"\d{1,3}\.\d{3}")


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
        word_value = _words_to_number(words)
        if word_value is None:
            continue
        raw_hits.append((m.start(), m.end(), word_value, words))
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
        # "$1.250 billion" is 1.25 billion: a scale word makes the dot a decimal
        stated = float(raw) if multiplier > 1 and _DOT_THOUSANDS.fullmatch(raw) else base_value
        value = stated * multiplier
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
