"""Grounding of the free-text fields of a summary: names, items, dates, countries, units, summary text.

`service.grounding` checks counts and quantities against their quoted evidence; this module
checks everything else the model writes, against the same article, and repairs instead of
failing (a field that fails is dropped or nulled, with a warning):

- a name (operation, agency, seized item) must occur in the article as whole words, and any
  number in it must stand in the article next to the same words ("MOZAIK 202" fails against
  "MOZAIK 2023", "Europol 20" fails however often "20" occurs elsewhere);
- a date must be stated: day, month and year in any common form ("6 November 2023",
  "Nov. 6, 2023", "6/11/2023", "2023-11-06", "between 6 and 17 November 2023"), a day and month
  in a text that states the year, or a weekday/"yesterday"/"today" resolved from the dateline;
  a date stated only to the month or year is cut to what is stated;
- a country must be named in the article, or implied by a demonym ("Slovenian police");
- a seizure's unit comes from the number quoted in its evidence, never from the model;
- a summary sentence may state only numbers the article states, in any written form
  (`numbers_in` is deliberately permissive: digits glued to words, ordinals, Indian grouping,
  exponents, fractions, underscores, number words, unambiguous Roman numerals).

Numbers are compared as exact `Fraction`s, so 9007199254740993 is never 9007199254740992.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from service.article import Article
from service.countries import _ALIASES as _COUNTRY_ALIASES  # read-only table of spellings
from service.countries import canonical_country, is_country
from service.injection import overlaps_injection
from service.numbers import NUMBER_WORDS, TENS_WORDS, NumberMention, values_in
from service.schema import OperationSummary, Seizure

__all__ = [
    "ArticleFacts",
    "Written",
    "numbers_in",
    "exact_value",
    "same_number",
    "name_grounded",
    "date_grounded",
    "country_grounded",
    "unstated_numbers",
    "check_fields",
]

# --- numbers as written in model output ---------------------------------------------------------

# The number words are the miner's own (service.numbers): one table for reading articles and output.
_UNIT_WORDS = NUMBER_WORDS
_TENS_WORDS = TENS_WORDS

_SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "thousands": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mln": 1_000_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
    "billions": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
    "hundred": 100,
}
# Ordinal words ("first" and "second" are left out: "second" is also a unit of time, and "first"
# is said of many things that are not counted).
_ORDINAL_WORDS = {
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "seventieth": 70,
    "eightieth": 80,
    "ninetieth": 90,
    "hundredth": 100,
    "thousandth": 1_000,
    "millionth": 1_000_000,
}
_WORD_VALUES = {**_UNIT_WORDS, **_TENS_WORDS, **_ORDINAL_WORDS}
_NUMBER_WORD = "|".join(sorted([*_WORD_VALUES, *_SCALES], key=len, reverse=True))
_WORD_RUN = re.compile(
    rf"\b(?:a\s+(?=(?:hundred|thousand|million|billion)\b))?(?:{_NUMBER_WORD})"
    rf"(?:(?:[\s-]+(?:and\s+)?)(?:{_NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
_SCALE_ONLY = {"hundred", "thousand", "thousands", "million", "millions", "billion", "billions", "trillion"}
_SCALE_ONLY |= {"lakh", "lakhs", "crore", "crores", "k", "m", "mn", "mln", "b", "bn"}
# Digits with any grouping: "1,803", "9,99,999", "41_000", "41'000", "1 803", "2.500,5"; an exponent.
_DIGIT_RUN = re.compile(
    r"\d+(?:(?:[.,_'’]|[ \u00a0\u202f](?=\d{3}(?!\d)))\d+)*(?:[eE][+-]?\d{1,4}(?![A-Za-z]))?"
    r"(?:[ \u00a0]?(k|m|mn|mln|bn|b|thousand|million|billion|trillion|lakhs?|crores?)\b)?",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_ROMAN = re.compile(r"\b(?=[MDCLXVI]{2,}\b)M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\b")
# Upper-case words that read as Roman numerals but are usually abbreviations.
_NOT_ROMAN = frozenset("CD DC MD CC CM DM MI MM LI DI CV XL XXL MC CL DL ML LV MIX CIV DIV MCC CCC DCC CLI".split())
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
_MAX_EXPONENT = 400


@dataclass(frozen=True)
class Written:
    """One number as a text writes it. `values`: what it may mean (any one stated is enough)."""

    text: str
    values: frozenset[Fraction]
    parts: tuple[Fraction, ...] = ()  # "1 803": stated also when 1 and 803 both are


def _fraction_chars(text: str) -> tuple[str, list[Written]]:
    """Vulgar fractions ("7½", "¾") read and blanked out, before NFKC would turn "7½" into "71⁄2"."""
    found: list[Written] = []
    out = []
    i = 0
    for m in re.finditer(r"(\d*)([\u00bc-\u00be\u2150-\u215e])", text):
        frac = Fraction(unicodedata.numeric(m.group(2))).limit_denominator(1000)
        whole = Fraction(int(m.group(1))) if m.group(1) else Fraction(0)
        found.append(Written(m.group(0), frozenset({whole + frac})))
        out.append(text[i : m.start()])
        out.append(" " * len(m.group(0)))
        i = m.end()
    out.append(text[i:])
    return "".join(out), found


def _digit_values(token: str) -> frozenset[Fraction]:
    exp = 0
    m = re.search(r"[eE]([+-]?\d+)$", token)
    if m:
        exp = max(-_MAX_EXPONENT, min(_MAX_EXPONENT, int(m.group(1))))
        token = token[: m.start()]
    digits = re.sub(r"\D", "", token)
    values = {Fraction(int(digits))}
    seps = re.findall(r"[^\d]", token)
    if seps and seps[-1] in ".,":
        head, tail = re.split(r"[.,](?=\d+$)", token, maxsplit=1)
        if len(set(seps)) == 1 and len(seps) > 1:
            pass  # "1.800.000" is grouping only
        else:
            values.add(Fraction(int(re.sub(r"\D", "", head) or "0")) + Fraction(int(tail), 10 ** len(tail)))
    scale = Fraction(10) ** exp
    return frozenset(v * scale for v in values)


def _words_value(words: str) -> Fraction | None:
    tokens = [t for t in re.split(r"[\s-]+", words.casefold()) if t and t not in {"and", "a"}]
    if not tokens or all(t in _SCALE_ONLY for t in tokens):
        return None
    total = current = 0
    for tok in tokens:
        if tok in _WORD_VALUES:
            value = _WORD_VALUES[tok]
            if tok in _ORDINAL_WORDS and value >= 100:
                current = max(current, 1) * value
            else:
                current += value
        elif tok == "hundred":
            current = max(current, 1) * 100
        elif tok in _SCALES:
            total += max(current, 1) * _SCALES[tok]
            current = 0
        else:
            return None
    return Fraction(total + current)


def _roman_value(token: str) -> int:
    total = 0
    for ch, nxt in zip(token, [*token[1:], ""], strict=True):
        v = _ROMAN_VALUES[ch]
        total += -v if nxt and _ROMAN_VALUES[nxt] > v else v
    return total


def numbers_in(text: str) -> list[Written]:
    """Every number `text` writes, in any form. Permissive on purpose: for model output, a number
    missed here is a number that could slip through."""
    blanked, found = _fraction_chars(text)
    norm = unicodedata.normalize("NFKC", blanked)
    taken = [False] * (len(norm) + 1)

    def free(m: re.Match[str]) -> bool:
        return not any(taken[m.start() : m.end()])

    def take(m: re.Match[str]) -> None:
        taken[m.start() : m.end()] = [True] * (m.end() - m.start())

    for m in _NUMERIC_DATE.finditer(norm):
        parts = tuple(Fraction(int(p)) for p in re.split(r"[/.-]", m.group(0)))
        found.append(Written(m.group(0), frozenset(), parts=parts))
        take(m)
    for m in _DIGIT_RUN.finditer(norm):
        if not free(m):
            continue
        raw_text = m.group(0)[: m.start(1) - m.start()] if m.group(1) else m.group(0)
        raw = _digit_values(raw_text.strip())
        scale_word = (m.group(1) or "").casefold()
        spaced = m.group(0)[len(raw_text) : len(raw_text) + 1] in {" ", "\u00a0"}
        values = raw
        if scale_word and not (scale_word in {"m", "b"} and spaced):
            values = frozenset(v * _SCALES[scale_word] for v in raw)
        parts = ()
        if re.search(r"[ \u00a0\u202f]", raw_text.strip()):
            parts = tuple(Fraction(int(p)) for p in re.split(r"[ \u00a0\u202f]", raw_text.strip()) if p)
        found.append(Written(m.group(0), values, parts))
        take(m)
    for m in _WORD_RUN.finditer(norm):
        if not free(m):
            continue
        value = _words_value(m.group(0))
        if value is not None:
            found.append(Written(m.group(0), frozenset({value})))
    for m in _ROMAN.finditer(norm):
        if len(m.group(0)) < 2 or m.group(0) in _NOT_ROMAN:
            continue
        found.append(Written(m.group(0), frozenset({Fraction(_roman_value(m.group(0)))})))
    return found


def _as_fraction(value: float | int) -> Fraction:
    return Fraction(value) if isinstance(value, int) else Fraction(repr(round(value, 6)))


def exact_value(mention: NumberMention) -> int | float:
    """The mention's value without a float round trip: the integer its digits write when it is whole
    (9007199254740993 stays ...993), else the float value."""
    approx = float(mention.value)
    for written in numbers_in(mention.text):
        for v in written.values:
            if abs(float(v) - approx) <= 1e-9 * max(1.0, abs(approx)) and v.denominator == 1:
                return int(v)
    return int(approx) if approx.is_integer() else approx


def same_number(mention: NumberMention, value: float | int) -> bool:
    """Does the mention state exactly `value`? Whole numbers compare as integers."""
    if isinstance(value, float) and not value.is_integer():
        return abs(mention.value - value) < 1e-6
    stated = exact_value(mention)
    if isinstance(stated, int):
        return stated == int(value)
    return abs(stated - value) < 1e-6


# --- what the article states ---------------------------------------------------------------------

_MONTH_NAMES = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_M = r"(?P<month>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_D = r"\d{1,2}(?:st|nd|rd|th|\.)?(?!\d)"
_JOIN = r"\s*(?:,|and|to|-|–|—|until|till|through|&)\s*"
_DAY_MONTH = re.compile(
    rf"\b(?P<days>(?:{_D}{_JOIN})*{_D})\s+(?:of\s+)?{_M}(?:,?\s+(?P<year>\d{{4}}))?\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(
    rf"\b{_M}\s+(?P<days>{_D}(?:{_JOIN}{_D})*)(?:,?\s+(?P<year>\d{{4}}))?\b",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"\b{_M},?\s+(?P<year>\d{{4}})\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_NUMERIC_DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
_YEAR_TOKEN = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
_RELATIVE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tonight|this morning)\b",
    re.IGNORECASE,
)
_DATELINE_CHARS = 400


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _days(text: str) -> list[int]:
    return [int(d) for d in re.findall(r"\d{1,2}", text)]


def _stated_dates(text: str) -> tuple[set[dt.date], set[tuple[int, int]], set[tuple[int, int]], list[dt.date]]:
    """(full dates, (month, day) pairs stated without a year, (year, month) pairs, full dates in order)."""
    full: list[tuple[int, dt.date]] = []
    day_months: set[tuple[int, int]] = set()
    month_years: set[tuple[int, int]] = set()
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(text):
            month = _MONTH_NAMES[m.group("month").casefold()]
            for day in _days(m.group("days")):
                if m.group("year") and (d := _date(int(m.group("year")), month, day)):
                    full.append((m.start(), d))
                elif 1 <= day <= 31:
                    day_months.add((month, day))
    for m in _MONTH_YEAR.finditer(text):
        month_years.add((int(m.group("year")), _MONTH_NAMES[m.group("month").casefold()]))
    for m in _ISO.finditer(text):
        if d := _date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            full.append((m.start(), d))
    for m in _NUMERIC_DMY.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        y = y + 2000 if y < 100 else y
        for d in (_date(y, b, a), _date(y, a, b)):  # day first, or the US order
            if d:
                full.append((m.start(), d))
    full.sort(key=lambda p: p[0])
    ordered = [d for _, d in full]
    month_years |= {(d.year, d.month) for d in ordered}
    return set(ordered), day_months, month_years, [d for pos, d in full if pos < _DATELINE_CHARS]


def _relative_dates(text: str, dateline: dt.date | None) -> set[dt.date]:
    """Days a text names relative to its dateline: "on Tuesday" (within a week either side), "yesterday"."""
    if dateline is None:
        return set()
    out: set[dt.date] = set()
    for m in _RELATIVE.finditer(text):
        word = m.group(1).casefold()
        if word == "yesterday":
            out.add(dateline - dt.timedelta(days=1))
        elif word in {"today", "tonight", "this morning"}:
            out.add(dateline)
        else:
            back = (dateline.weekday() - _WEEKDAYS[word]) % 7
            out.add(dateline - dt.timedelta(days=back))
            out.add(dateline + dt.timedelta(days=(7 - back) % 7 or 7))
    return out


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    """Words and digit runs, case- and accent-folded: "Europol's EC3" -> europol s ec3."""
    return re.findall(r"[^\W_]+", _fold(text))


def _joined_tokens(text: str) -> list[str]:
    """The same, with "U.S." read as "us" and "Attorney's" as "attorneys"."""
    folded = re.sub(r"(?<=\w)[.'’](?=\w)|(?<=\b\w)\.", "", _fold(text))
    return re.findall(r"[^\W_]+", folded)


@dataclass(frozen=True)
class ArticleFacts:
    """What one article states, computed once per summary."""

    sequences: tuple[str, ...]  # token sequences, each " a b c " padded for whole-word search
    words: frozenset[str]
    values: frozenset[Fraction]
    dates: frozenset[dt.date]
    day_months: frozenset[tuple[int, int]]
    month_years: frozenset[tuple[int, int]]
    years: frozenset[int]

    @classmethod
    def of(cls, article: str | Article) -> ArticleFacts:
        """Read from the request's `Article` (analysed once); text from an instruction aimed at the model is out."""
        analysis = article if isinstance(article, Article) else Article.from_text(article)
        text = analysis.without_injections
        seqs = (_tokens(text), _joined_tokens(text))
        values: set[Fraction] = {
            _as_fraction(m.value)
            for m in analysis.numbers
            if not overlaps_injection(m.start, m.end, analysis.injections)
        }
        for w in numbers_in(text):
            values |= w.values | set(w.parts)  # "€14 million" states 14000000, not 14
        full, day_months, month_years, early = _stated_dates(text)
        dates = full | _relative_dates(text, early[0] if early else None)
        return cls(
            sequences=tuple(" " + " ".join(s) + " " for s in seqs),
            words=frozenset(seqs[0]) | frozenset(seqs[1]),
            values=frozenset(values),
            dates=frozenset(dates),
            day_months=frozenset(day_months),
            month_years=frozenset(month_years),
            years=frozenset(int(y) for y in _YEAR_TOKEN.findall(text)),
        )

    def has_phrase(self, tokens: Iterable[str]) -> bool:
        phrase = " " + " ".join(tokens) + " "
        return phrase != "  " and any(phrase in seq for seq in self.sequences)

    def has_word(self, token: str) -> bool:
        if token in self.words:
            return True
        if token in _DEMONYMS and country_grounded(_DEMONYMS[token], self):
            return True  # "German Federal Police" for "Germany's Federal Police"
        if token.isalpha() and len(token) > 3:  # plural and possessive forms
            stems = {token + "s", token + "es", token[:-1] if token.endswith("s") else token}
            return bool(stems & self.words)
        return False


# --- names -----------------------------------------------------------------------------------------


def _is_numeric_token(token: str) -> bool:
    return any(c.isdigit() for c in token) or token in _WORD_VALUES or token in _SCALE_ONLY


def name_grounded(name: str, facts: ArticleFacts, *, generic: frozenset[str] = frozenset()) -> bool:
    """The name occurs in the article as whole words; a number in it stands next to the same words.

    Every word of three letters or more must be a word of the article (in any order: "Police of
    Slovenia" for "Slovenian police" still fails, "National Police" for "the National Police"
    passes); `generic` words are allowed without it (for seized items: "electronic devices").
    """
    for tokens in {tuple(_tokens(name)), tuple(_joined_tokens(name))}:
        if not tokens:
            continue
        if facts.has_phrase(tokens):
            return True
        if _romans_in(name):
            continue
        ok = True
        for i, tok in enumerate(tokens):
            if _is_numeric_token(tok):
                neighbours = [tokens[j : j + 2] for j in (i - 1, i) if j >= 0 and j + 2 <= len(tokens)]
                if not neighbours or not any(facts.has_phrase(n) for n in neighbours):
                    ok = False
                    break
            elif len(tok) > 2 and not (facts.has_word(tok) or tok in generic):
                ok = False
                break
        if ok and any(len(t) > 2 or _is_numeric_token(t) for t in tokens):
            return True
    return False


def _romans_in(name: str) -> bool:
    return any(len(m.group(0)) >= 2 and m.group(0) not in _NOT_ROMAN for m in _ROMAN.finditer(name))


# Generic names of seized things that opsum itself gives ("cash" for money, "electronic devices"
# for "200 items (computers, memory cards...)"): allowed in an item although the article may not
# use the word. None of them carries a number.
GENERIC_ITEM_WORDS = frozenset(
    "items cash money currency cryptocurrency cryptocurrencies electronic devices drugs narcotics weapons "
    "firearms guns ammunition vehicles cars documents phones mobile computers equipment goods assets "
    "counterfeit jewellery jewelry valuables".split()
)


# --- dates -----------------------------------------------------------------------------------------


def date_grounded(date: str, facts: ArticleFacts) -> str | None:
    """The date as precisely as the article states it (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`), or None."""
    parts = [int(p) for p in date.split("-")]
    year = parts[0]
    if len(parts) == 3:
        day = _date(*parts)
        if day and (day in facts.dates or ((day.month, day.day) in facts.day_months and year in facts.years)):
            return date
    if len(parts) >= 2:
        if (year, parts[1]) in facts.month_years:
            return date[:7]
    if year in facts.years or any(d.year == year for d in facts.dates):
        return date[:4]
    return None


# --- countries ---------------------------------------------------------------------------------------

_DEMONYMS = {
    "afghan": "Afghanistan",
    "albanian": "Albania",
    "algerian": "Algeria",
    "american": "United States",
    "angolan": "Angola",
    "argentine": "Argentina",
    "argentinian": "Argentina",
    "armenian": "Armenia",
    "australian": "Australia",
    "austrian": "Austria",
    "azerbaijani": "Azerbaijan",
    "bangladeshi": "Bangladesh",
    "belarusian": "Belarus",
    "belgian": "Belgium",
    "bolivian": "Bolivia",
    "bosnian": "Bosnia and Herzegovina",
    "brazilian": "Brazil",
    "british": "United Kingdom",
    "bulgarian": "Bulgaria",
    "cambodian": "Cambodia",
    "cameroonian": "Cameroon",
    "canadian": "Canada",
    "chilean": "Chile",
    "chinese": "China",
    "colombian": "Colombia",
    "croatian": "Croatia",
    "cuban": "Cuba",
    "cypriot": "Cyprus",
    "czech": "Czechia",
    "danish": "Denmark",
    "dutch": "Netherlands",
    "ecuadorian": "Ecuador",
    "egyptian": "Egypt",
    "emirati": "United Arab Emirates",
    "estonian": "Estonia",
    "ethiopian": "Ethiopia",
    "filipino": "Philippines",
    "philippine": "Philippines",
    "finnish": "Finland",
    "french": "France",
    "georgian": "Georgia",
    "german": "Germany",
    "ghanaian": "Ghana",
    "greek": "Greece",
    "guatemalan": "Guatemala",
    "honduran": "Honduras",
    "hungarian": "Hungary",
    "icelandic": "Iceland",
    "indian": "India",
    "indonesian": "Indonesia",
    "iranian": "Iran",
    "iraqi": "Iraq",
    "irish": "Ireland",
    "israeli": "Israel",
    "italian": "Italy",
    "jamaican": "Jamaica",
    "japanese": "Japan",
    "jordanian": "Jordan",
    "kenyan": "Kenya",
    "kosovar": "Kosovo",
    "kosovan": "Kosovo",
    "latvian": "Latvia",
    "lebanese": "Lebanon",
    "libyan": "Libya",
    "lithuanian": "Lithuania",
    "luxembourgish": "Luxembourg",
    "macedonian": "North Macedonia",
    "malaysian": "Malaysia",
    "maltese": "Malta",
    "mexican": "Mexico",
    "moldovan": "Moldova",
    "montenegrin": "Montenegro",
    "moroccan": "Morocco",
    "mozambican": "Mozambique",
    "nepali": "Nepal",
    "nigerian": "Nigeria",
    "norwegian": "Norway",
    "pakistani": "Pakistan",
    "panamanian": "Panama",
    "paraguayan": "Paraguay",
    "peruvian": "Peru",
    "polish": "Poland",
    "portuguese": "Portugal",
    "qatari": "Qatar",
    "romanian": "Romania",
    "russian": "Russia",
    "saudi": "Saudi Arabia",
    "scottish": "United Kingdom",
    "senegalese": "Senegal",
    "serbian": "Serbia",
    "singaporean": "Singapore",
    "slovak": "Slovakia",
    "slovakian": "Slovakia",
    "slovenian": "Slovenia",
    "slovene": "Slovenia",
    "somali": "Somalia",
    "spanish": "Spain",
    "sudanese": "Sudan",
    "swedish": "Sweden",
    "swiss": "Switzerland",
    "syrian": "Syria",
    "taiwanese": "Taiwan",
    "thai": "Thailand",
    "tunisian": "Tunisia",
    "turkish": "Türkiye",
    "ugandan": "Uganda",
    "ukrainian": "Ukraine",
    "uruguayan": "Uruguay",
    "venezuelan": "Venezuela",
    "vietnamese": "Vietnam",
    "welsh": "United Kingdom",
    "zambian": "Zambia",
    "zimbabwean": "Zimbabwe",
}


def _country_names(country: str) -> set[str]:
    """Every spelling of a canonical country that can stand in an article, demonyms included."""
    import pycountry

    names = {country}
    try:
        record = pycountry.countries.lookup(country)
        names |= {getattr(record, a) for a in ("name", "common_name", "official_name") if hasattr(record, a)}
    except LookupError:
        pass
    names |= {k for k, v in _COUNTRY_ALIASES.items() if v == country}
    names |= {k for k, v in _DEMONYMS.items() if v == country}
    return names


def country_grounded(country: str, facts: ArticleFacts) -> bool:
    """The country (canonical name) is named in the article, or a demonym of it is ("Slovenian")."""
    for spelling in _country_names(country):
        for tokens in {tuple(_tokens(spelling)), tuple(_joined_tokens(spelling))}:
            if tokens and facts.has_phrase(tokens):
                return True
    return False


# --- the summary text ----------------------------------------------------------------------------


def _written_stated(w: Written, facts: ArticleFacts) -> bool:
    if w.values & facts.values:
        return True
    if w.parts and not w.values:  # a numeric date: stated as a date, or every part stated
        return _numeric_date_stated(w.text, facts) or all(p in facts.values for p in w.parts)
    return bool(w.parts) and all(p in facts.values for p in w.parts)


def _numeric_date_stated(text: str, facts: ArticleFacts) -> bool:
    days, _, _, _ = _stated_dates(text)
    return bool(days & facts.dates)


def unstated_numbers(text: str, facts: ArticleFacts) -> list[str]:
    """The numbers `text` writes that the article does not state, as written."""
    return [w.text for w in numbers_in(text) if not _written_stated(w, facts)]


# --- the repair pass ------------------------------------------------------------------------------


def check_fields(
    summary: OperationSummary, article: str | Article, warnings: list[str], *, facts: ArticleFacts | None = None
) -> None:
    """Null or drop, in place, every free-text field the article does not support; say why in `warnings`."""
    analysis = article if isinstance(article, Article) else Article.from_text(article)
    facts = facts or ArticleFacts.of(analysis)
    if summary.operation_name and not name_grounded(summary.operation_name, facts):
        warnings.append("operation_name dropped: not written so in the article (whole words, same numbers)")
        summary.operation_name = None

    agencies = []
    for agency in summary.agencies:
        if not name_grounded(agency.name, facts):
            warnings.append("an agency was dropped: its name is not written so in the article")
            continue
        if agency.country and not country_grounded(agency.country, facts):
            warnings.append(f"agency country {agency.country!r} dropped: the article does not name it")
            agency.country = None
        agencies.append(agency)
    summary.agencies = agencies

    countries = []
    for country in summary.countries:
        if is_country(country) and country_grounded(canonical_country(country), facts):
            countries.append(country)
        else:
            warnings.append(f"country {country!r} dropped: the article does not name it")
    summary.countries = countries

    summary.seizures = [s for s in summary.seizures if _checked_seizure(s, analysis, facts, warnings)]

    for field in ("start_date", "end_date"):
        date = getattr(summary, field)
        if date:
            grounded = date_grounded(date, facts)
            if grounded != date:
                warnings.append(
                    f"{field} {date} {'cut to ' + grounded if grounded else 'dropped'}: the article states no more"
                )
                setattr(summary, field, grounded)
    start, end = summary.start_date, summary.end_date
    if start and end and start[: min(len(start), len(end))] > end[: min(len(start), len(end))]:
        warnings.append("dates dropped: end before start")
        summary.start_date = summary.end_date = None


def _checked_seizure(seizure: Seizure, article: Article, facts: ArticleFacts, warnings: list[str]) -> bool:
    """Repair one seizure in place; False when it is dropped."""
    from service.grounding import span_in_text

    if seizure.quantity is None:
        seizure.unit = None
        if seizure.evidence and not span_in_text(seizure.evidence, article):
            seizure.evidence = None
    else:
        mention = next((m for m in values_in(seizure.evidence or "") if same_number(m, seizure.quantity)), None)
        seizure.unit = mention.unit if mention and mention.unit else "items"
        if mention is not None:
            seizure.quantity = exact_value(mention)
    if not name_grounded(seizure.item, facts, generic=GENERIC_ITEM_WORDS):
        if seizure.quantity is None:
            warnings.append("a seized item was dropped: its name is not written so in the article")
            return False
        warnings.append("a seized item's name was replaced by 'items': it is not written so in the article")
        seizure.item = "items"
    return True
