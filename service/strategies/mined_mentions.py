"""Strategy `mined_mentions`: numbers are mined from the text; the model only labels them.

1. `entities`: a short call for relevance, name, crime types, agencies, countries, dates and
   the summary; nothing numeric is asked for. If the article is not relevant, we stop here.
2. `mentions`: every numeric mention is mined deterministically (`service.numbers`) and shown
   to the model keyed by a short quote with the number in [brackets]; the model picks one
   label per mention from a closed set. Value, unit and qualifier come from the mined text,
   never from the model, and a label must also agree with keywords around the mention.
3. `items`: only for a seized amount whose item the words after it do not name ("200 items"):
   the model names each such thing in a few words.

Evidence spans are slices of the article itself, so everything returned is grounded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from service import lexicon
from service.agencies import international_bodies
from service.article import Article
from service.backends.base import ExtractionFailed
from service.field_checks import exact_value
from service.numbers import CRYPTO_CODES, NumberMention
from service.schema import (
    Count,
    OperationSummary,
    Seizure,
    normalise_name,
)
from service.strategies.common import (
    EntityFields,
    RunContext,
    agencies_from_drafts,
    iso_date_or_none,
    parse_tolerant,
    summary_or_backend_error,
)

log = logging.getLogger(__name__)

__all__ = ["run", "Mention", "mine", "Label", "assemble_counts"]

# At most this many mentions go to the labelling call (in article order): the call's prompt and
# answer grow with each, and a small model's context is bounded. More is rare (the golden set's
# longest article has 45); when it happens the rest are not labelled and the summary says so.
MAX_MENTIONS = 48


class Label(StrEnum):
    suspects_identified = "suspects_identified"
    arrested = "people_arrested"
    searches = "places_searched"
    victims = "victims_rescued"
    seized = "amount_seized"
    other = "other"


_FIELD_OF = {
    Label.suspects_identified: "suspects_identified",
    Label.arrested: "arrests",
    Label.searches: "searches",
    Label.victims: "victims_identified",
}

# A label must also agree with the words of its clause (the prototype's "keyword check"): the word
# lists are data (service/lexicon/labels.toml), matched as whole words.
_KEYWORDS = {
    Label.arrested: lexicon.pattern("labels", "arrested"),
    Label.suspects_identified: lexicon.pattern("labels", "suspects_identified"),
    Label.searches: lexicon.pattern("labels", "searches"),
    Label.victims: lexicon.pattern("labels", "victims"),
    Label.seized: lexicon.pattern("labels", "seized"),
}
# A seizure also needs a seizing word somewhere in its sentence ("seized", "confiscated", "haul").
_SEIZE_SENTENCE = lexicon.pattern("labels", "seizing_sentence")
# What a number counts when it is neither people acted against nor things seized: officers
# deployed, countries taking part, days of an operation.
_NOT_COUNTED = re.compile(
    r"^(?:[a-z-]+ ){0,2}" + lexicon.alternation(lexicon.words("labels", "not_counted")), re.IGNORECASE
)
# Things counted that are neither people nor premises: never a count (they may be a seizure).
_NOT_PEOPLE_OR_PLACES = re.compile(
    r"^(?:[a-z-]+ ){0,2}" + lexicon.alternation(lexicon.words("labels", "not_people_or_places")), re.IGNORECASE
)
_TOTAL_CUE = lexicon.pattern("labels", "total_cue")
_YEAR = re.compile(r"\b(?:19[5-9]\d|20\d\d)\b")
# Money that is not a seizure: values, proceeds, losses.
_NOT_SEIZED_MONEY = lexicon.pattern("labels", "not_seized_money")


@dataclass(frozen=True)
class Mention:
    key: str  # short quote with the number in brackets: the model's key
    context: str  # the sentence, with the number in brackets, shown in the prompt
    evidence: str  # a verbatim slice of the article
    number: NumberMention
    before: str  # the clause's words just before the number, for the keyword checks
    after: str  # and just after it

    @property
    def window(self) -> str:
        return f"{self.before} {self.number.text} {self.after}"


def _words_before(text: str, pos: int, n: int, floor: int) -> int:
    chunk = text[floor:pos]
    spans = list(re.finditer(r"\S+", chunk))
    if len(spans) <= n:
        return floor
    return floor + spans[-n].start()


def _words_after(text: str, pos: int, n: int, ceil: int) -> int:
    chunk = text[pos:ceil]
    spans = list(re.finditer(r"\S+", chunk))
    if len(spans) <= n:
        return ceil
    return pos + spans[n - 1].end()


def _clause_before(text: str, words: int = 5) -> str:
    """Up to `words` words before a number, not crossing , ; : ( or a sentence end."""
    part = re.split(r"[,;:()]|\s[-–—]\s", text)[-1]
    return " ".join(part.split()[-words:])


def _clause_after(text: str, words: int = 6) -> str:
    part = re.split(r"[,;:()]|\s[-–—]\s", text)[0]
    return " ".join(part.split()[:words])


def _clean(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().replace('"', "'")


def mine(article: Article | str) -> list[Mention]:
    """The numeric mentions worth labelling, in article order, each with a unique key: every
    count-like number of the main body outside bylines and injected instructions."""
    if isinstance(article, str):
        article = Article.from_text(article)
    body = article.body_text
    mentions: list[Mention] = []
    seen_keys: set[str] = set()
    for num in article.body_numbers:
        if not num.is_count_like:
            continue
        s, e = article.sentence_of(num.start, num.end)
        k0 = _words_before(body, num.start, 3, s)
        k1 = _words_after(body, num.end, 3, e)
        key = _clean(f"{body[k0 : num.start]}[{num.text}]{body[num.end : k1]}")
        base, n = key, 2
        while key in seen_keys:
            key, n = f"{base} #{n}", n + 1
        seen_keys.add(key)
        ev0 = _words_before(body, num.start, 3, s)
        ev1 = _words_after(body, num.end, 3, e)
        mentions.append(
            Mention(
                key=key,
                context=_clean(f"{body[s : num.start]}[{num.text}]{body[num.end : e]}")[:400],
                evidence=body[ev0:ev1].strip(),
                number=num,
                before=_clause_before(body[s : num.start]),
                after=_clause_after(body[num.end : e]),
            )
        )
    return mentions


def keyword_ok(label: Label, mention: Mention) -> bool:
    """Do the words of the mention's clause support the label?"""
    if label is Label.other:
        return True
    if _NOT_COUNTED.match(mention.after) and not mention.number.unit:
        return False
    if not _KEYWORDS[label].search(mention.window):
        return False
    if label is Label.seized and not _SEIZE_SENTENCE.search(mention.context):
        return False
    if label is Label.seized and _is_money(mention.number):
        if _NOT_SEIZED_MONEY.search(mention.before + " " + mention.after):
            return False
    if label in _FIELD_OF and (mention.number.int_value is None or mention.number.unit):
        return False  # a count is a whole number of people or places, not a weight or money
    if label in _FIELD_OF and _NOT_PEOPLE_OR_PLACES.match(mention.after):
        return False
    return True


def checked_label(label: Label, mention: Mention) -> Label:
    """The model's label if its clause supports it; else the one label the clause supports, else other.

    The model saying `other` is always kept: only a number it took for a count or a seizure is
    moved, and only when the words around it leave exactly one choice.
    """
    if label is Label.other or keyword_ok(label, mention):
        return label
    fits = [lab for lab in Label if lab is not Label.other and keyword_ok(lab, mention)]
    return fits[0] if len(fits) == 1 else Label.other


def _is_money(num: NumberMention) -> bool:
    unit = num.unit
    return unit is not None and unit.isupper() and len(unit) >= 3


def assemble_counts(labelled: list[tuple[Mention, Label]]) -> dict[str, Count | None]:
    """One count per field: a number stated as a total if there is one, else the largest (a stated
    total outvotes its national subsets)."""
    out: dict[str, Count | None] = {f: None for f in _FIELD_OF.values()}
    for label, field in _FIELD_OF.items():
        candidates = [m for m, got in labelled if got is label]
        totals = [m for m in candidates if _TOTAL_CUE.search(m.window)]
        best = max(totals or candidates, key=lambda m: m.number.value, default=None)
        if best is not None:
            value = int(exact_value(best.number))  # exact: no float round trip for a large count
            out[field] = Count(value=value, qualifier=best.number.qualifier, evidence=best.evidence)
    return out


# --- the model-facing shapes ---------------------------------------------------------------


class Entities(EntityFields):
    """The article's main operation, without any numbers."""

    summary: str = Field(max_length=600)


def _labels_model(mentions: list[Mention]) -> type[BaseModel]:
    # typed Any: a narrower value type would also have to fit create_model's own keywords (__doc__, …)
    fields: dict[str, Any] = {f"m{i}": (Label, Field(alias=m.key)) for i, m in enumerate(mentions)}
    return create_model("MentionLabels", __config__=ConfigDict(extra="ignore"), **fields)


def _items_model(mentions: list[Mention]) -> type[BaseModel]:
    fields: dict[str, Any] = {f"m{i}": (str, Field(alias=m.key, max_length=40)) for i, m in enumerate(mentions)}
    return create_model("SeizedItems", __config__=ConfigDict(extra="ignore"), **fields)


def _extract_lenient(
    ctx: RunContext, step: str, messages: list[dict[str, str]], model: type[BaseModel], max_tokens: int
) -> BaseModel:
    try:
        return ctx.backend.extract(messages, model, step=step, usage=ctx.usage, max_tokens=max_tokens)
    except ExtractionFailed as exc:
        ctx.warnings.append(f"{step}: no valid answer after re-asks ({exc.errors[-1][:200]})")
        return parse_tolerant(exc.last_arguments, model, step=step, warnings=ctx.warnings)


def _list_mentions(mentions: list[Mention]) -> str:
    return "\n".join(f'- "{m.key}"\n  sentence: {m.context}' for m in mentions)


def _entities_to_fields(ent: Entities, warnings: list[str]) -> dict[str, object]:
    return {
        "relevant": ent.relevant,
        "summary": ent.summary,
        "operation_name": ent.operation_name,
        "crime_types": ent.crime_types,
        "agencies": agencies_from_drafts(ent.agencies, warnings),
        "countries": ent.countries,
        "start_date": iso_date_or_none(ent.start_date),
        "end_date": iso_date_or_none(ent.end_date),
    }


def _default_item(num: NumberMention) -> str | None:
    if _is_money(num) and num.unit not in CRYPTO_CODES:
        return "cash"
    if num.unit in CRYPTO_CODES:
        return "cryptocurrency"
    return None


def run(ctx: RunContext) -> OperationSummary:
    values = {"article": ctx.article, "title": ctx.title or "(none)"}
    ent_messages = ctx.prompt.step("entities").messages(**values)
    ent = _extract_lenient(ctx, "entities", ent_messages, Entities, max_tokens=min(ctx.max_tokens, 700))
    assert isinstance(ent, Entities)
    fields = _entities_to_fields(ent, ctx.warnings)
    if not ent.relevant:
        return OperationSummary(relevant=False, summary=ent.summary)
    named = {normalise_name(a.name) for a in fields["agencies"]}  # type: ignore[attr-defined]
    fields["agencies"] = [
        *fields["agencies"],
        *(  # type: ignore[misc]
            a for a in international_bodies(ctx.analysis or ctx.article) if normalise_name(a.name) not in named
        ),
    ]

    mentions = _this_operation(mine(ctx.analysis or ctx.article), fields.get("start_date"), fields.get("end_date"))  # type: ignore[arg-type]
    if len(mentions) > MAX_MENTIONS:
        ctx.warnings.append(
            f"mentions: the article states {len(mentions)} numbers; only the first {MAX_MENTIONS} were labelled"
        )
        log.warning("mentions: %d numbers, only the first %d labelled", len(mentions), MAX_MENTIONS)
        mentions = mentions[:MAX_MENTIONS]
    labelled: list[tuple[Mention, Label]] = []
    if mentions:
        model = _labels_model(mentions)
        messages = ctx.prompt.step("mentions").messages(mentions=_list_mentions(mentions), **values)
        answer = _extract_lenient(ctx, "mentions", messages, model, max_tokens=_budget(mentions, 24))
        for i, m in enumerate(mentions):
            said = Label(getattr(answer, f"m{i}"))
            labelled.append((m, checked_label(said, m)))
            log.debug("mention %r -> %s, checked: %s", m.key, said.value, labelled[-1][1].value)

    counts = assemble_counts(labelled)
    seized = [m for m, lab in labelled if lab is Label.seized]
    seized = _dedupe_seized(seized)
    items = {m.key: _default_item(m.number) or item_from_text(m) for m in seized}
    to_name = [m for m in seized if items[m.key] is None]
    if to_name:
        messages = ctx.prompt.step("items").messages(mentions=_list_mentions(to_name), **values)
        answered = _extract_lenient(ctx, "items", messages, _items_model(to_name), max_tokens=_budget(to_name, 40))
        for i, m in enumerate(to_name):
            items[m.key] = (getattr(answered, f"m{i}") or "").strip()[:80] or "items"
    seizures = [
        Seizure(
            item=items[m.key] or "items",
            quantity=exact_value(m.number),
            unit=m.number.unit or "items",
            qualifier=m.number.qualifier,
            evidence=m.evidence,
        )
        for m in seized
    ]
    return summary_or_backend_error({**fields, **counts, "seizures": seizures})  # type: ignore[no-any-return]


def _budget(mentions: list[Mention], per_answer: int) -> int:
    """Completion-token bound for one answer per mention: 16 per word of the keys the grammar forces
    the model to write, plus `per_answer` for each value."""
    return 64 + per_answer * len(mentions) + 16 * sum(len(m.key.split()) for m in mentions)


def _this_operation(mentions: list[Mention], start: str | None, end: str | None) -> list[Mention]:
    """Drop numbers in sentences dated only to other years than the operation's (earlier figures)."""
    years = {int(d[:4]) for d in (start, end) if d}
    if not years:
        return mentions
    span = set(range(min(years), max(years) + 1))
    kept = []
    for m in mentions:
        stated = {int(y) for y in _YEAR.findall(m.context)}
        if stated and not stated & span:
            log.debug("mention %r dropped: its sentence is about %s", m.key, sorted(stated))
            continue
        kept.append(m)
    return kept


_ITEM_STOP = frozenset(lexicon.words("stopwords", "function_words") + lexicon.words("stopwords", "item_breaks"))
_GENERIC_ITEMS = frozenset(lexicon.words("labels", "generic_items"))
_ITEM_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
_OF = re.compile(r"^of\s+", re.IGNORECASE)


def item_from_text(mention: Mention) -> str | None:
    """The seized thing as the text names it right after the number ("1.800 kilograms of cocaine")."""
    after = _OF.sub("", mention.after.strip())
    words: list[str] = []
    for raw in after.split():
        word = raw.strip(".,;:()[]\"'“”")
        if not word or word.lower() in _ITEM_STOP or not _ITEM_WORD.fullmatch(word):
            break
        words.append(word)
        if raw[-1:] in ",;:()." or len(words) == 3:
            break
    phrase = " ".join(words).lower()
    if not phrase or phrase in _GENERIC_ITEMS:
        return None  # the text does not name the thing: the model is asked
    return phrase


def _same_thing(a: str | None, b: str | None) -> bool:
    """Could two item names name the same thing? Unnamed matches anything; else a word of one
    begins a word of the other ("meth" / "methamphetamine"), never "pistols" / "rifles"."""
    if not a or not b:
        return True
    wa, wb = a.lower().split(), b.lower().split()
    return any(x.startswith(y) or y.startswith(x) for x in wa for y in wb if min(len(x), len(y)) >= 3)


def _dedupe_seized(mentions: list[Mention]) -> list[Mention]:
    """The same quantity of the same thing stated twice (headline and body) is one seizure: the
    mention that names its item at most length ("methamphetamine" in the body over "meth" in the
    headline). The same quantity of different things ("2 pistols, 2 rifles") is two seizures."""
    kept: list[Mention] = []
    for m in mentions:
        item = item_from_text(m)
        for i, k in enumerate(kept):
            if (k.number.value, k.number.unit) == (m.number.value, m.number.unit) and _same_thing(
                item, item_from_text(k)
            ):
                if len(item or "") > len(item_from_text(k) or ""):
                    kept[i] = m
                break
        else:
            kept.append(m)
    return sorted(kept, key=lambda m: m.number.start)
