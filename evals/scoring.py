"""Per-article scoring, exactly as SPEC §4 defines it.

Each scorer is a small function from (gold, prediction) to raw tallies; `score_article` runs
them all. Tallies (not rates) are kept per article so that metrics are micro-averaged and can
be bootstrapped over articles (`evals.metrics`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.golden import GoldItem, GoldSeizure
from service.article import Article
from service.countries import canonical_country
from service.grounding import span_in_text
from service.numbers import mass_in_kg, unit_aliases
from service.schema import COUNT_FIELDS, OperationSummary, Seizure, normalise_name

__all__ = [
    "ArticleScore",
    "EntityTally",
    "score_article",
    "score_numbers",
    "score_entities",
    "match_seizures",
    "seizures_match",
    "grounding",
    "ENTITY_FIELDS",
]

ENTITY_FIELDS = ("operation_name", "agencies", "countries", "crime_types")

# Unit conversion for seizures: masses to kg; counted things to "items"; currencies by ISO code.
# The service's one table of units and currencies (service/lexicon/units.toml), plus the scorer's own
# spellings of counted things.
_MASS_KG = mass_in_kg()
_UNIT_ALIASES = unit_aliases()
_ITEM_STOPWORDS = {"of", "and", "the", "a", "an", "in", "seized", "items", "item", "worth", "other", "with"}


@dataclass
class EntityTally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: EntityTally) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class ArticleScore:
    id: str
    numeric_slots: int = 0
    numeric_correct: int = 0
    hallucinated: int = 0
    missed: int = 0
    wrong: int = 0
    qualifier_total: int = 0
    qualifier_correct: int = 0
    entities: dict[str, EntityTally] = field(default_factory=lambda: {f: EntityTally() for f in ENTITY_FIELDS})
    seizures: EntityTally = field(default_factory=EntityTally)
    relevance_correct: int = 0
    evidence_spans: int = 0
    evidence_found: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- normalisation ------------------------------------------------------------------------


def canonical_unit(unit: str | None) -> str:
    if unit is None:
        return "items"
    u = unit.strip()
    low = u.lower()
    if low in _UNIT_ALIASES:
        return _UNIT_ALIASES[low]
    if low in _MASS_KG:
        return low
    if re.fullmatch(r"[A-Za-z]{3}", u):
        return u.upper()
    return low


def _in_kg_or_same(quantity: float, unit: str) -> tuple[str, float]:
    if unit in _MASS_KG:
        return "mass", quantity * _MASS_KG[unit]
    return unit, quantity


def _item_tokens(item: str) -> set[str]:
    tokens = set(normalise_name(item).split()) - _ITEM_STOPWORDS
    # crude singular: "firearms" ~ "firearm", "devices" ~ "device"
    return {t[:-1] if len(t) > 3 and t.endswith("s") else t for t in tokens}


def items_agree(a: str, b: str) -> bool:
    """Token overlap after normalisation ("electronic devices" ~ "devices")."""
    return bool(_item_tokens(a) & _item_tokens(b))


def quantities_agree(q1: float | None, u1: str | None, q2: float | None, u2: str | None) -> bool:
    if q1 is None or q2 is None:
        return q1 is None and q2 is None
    k1, v1 = _in_kg_or_same(q1, canonical_unit(u1))
    k2, v2 = _in_kg_or_same(q2, canonical_unit(u2))
    if k1 != k2:
        return False
    return abs(v1 - v2) <= 0.005 * max(abs(v1), abs(v2)) + 1e-9


def seizures_match(pred: Seizure, gold: GoldSeizure) -> bool:
    return items_agree(pred.item, gold.item) and quantities_agree(pred.quantity, pred.unit, gold.quantity, gold.unit)


# --- scorers --------------------------------------------------------------------------------


def match_seizures(pred: list[Seizure], gold: GoldItem) -> tuple[dict[int, int], set[int]]:
    """Greedy one-to-one matching: gold index → pred index, and pred indices matching a lenient seizure."""
    matched: dict[int, int] = {}
    used: set[int] = set()
    for gi, g in enumerate(gold.seizures):
        for pi, p in enumerate(pred):
            if pi not in used and seizures_match(p, g):
                matched[gi] = pi
                used.add(pi)
                break
    lenient_hits = {
        pi for pi, p in enumerate(pred) if pi not in used and any(seizures_match(p, ls) for ls in gold.lenient_seizures)
    }
    return matched, lenient_hits


def score_numbers(pred: OperationSummary, gold: GoldItem, score: ArticleScore) -> None:
    """Counts and gold seizure quantities: correct, hallucinated, missed, wrong; qualifiers apart."""
    for name in COUNT_FIELDS:
        g = gold.counts.get(name)
        p = getattr(pred, name)
        score.numeric_slots += 1
        outcome: str
        if g is None:
            outcome = "correct" if p is None else "hallucinated"
        elif p is None:
            outcome = "missed"
        elif p.value == g.value:
            outcome = "correct"
            score.qualifier_total += 1
            score.qualifier_correct += int(p.qualifier == g.qualifier)
        else:
            outcome = "wrong"
        _tally(score, outcome)
        score.details.append(
            {
                "field": name,
                "gold": None if g is None else g.value,
                "pred": None if p is None else p.value,
                "outcome": outcome,
                "evidence": None if p is None else p.evidence,
            }
        )

    matched, lenient_hits = match_seizures(pred.seizures, gold)
    for gi, gs in enumerate(gold.seizures):
        if gs.quantity is None:
            continue
        score.numeric_slots += 1
        if gi in matched:
            ps = pred.seizures[matched[gi]]
            _tally(score, "correct")
            score.qualifier_total += 1
            score.qualifier_correct += int(ps.qualifier == gs.qualifier)
        else:
            _tally(score, "missed")
        score.details.append(
            {
                "field": "seizure",
                "item": gs.item,
                "gold": gs.quantity,
                "unit": gs.unit,
                "pred": pred.seizures[matched[gi]].quantity if gi in matched else None,
                "outcome": "correct" if gi in matched else "missed",
                "evidence": pred.seizures[matched[gi]].evidence if gi in matched else None,
            }
        )
    matched_preds = set(matched.values())
    for pi, ps in enumerate(pred.seizures):
        if ps.quantity is not None and pi not in matched_preds and pi not in lenient_hits:
            score.hallucinated += 1
            score.details.append(
                {
                    "field": "seizure",
                    "item": ps.item,
                    "gold": None,
                    "pred": ps.quantity,
                    "unit": ps.unit,
                    "outcome": "hallucinated",
                    "evidence": ps.evidence,
                }
            )

    # seizure precision / recall
    score.seizures.tp += len(matched)
    score.seizures.fn += len(gold.seizures) - len(matched)
    score.seizures.fp += sum(
        1
        for pi in range(len(pred.seizures))
        if pi not in matched_preds and pi not in lenient_hits and not _lenient_item_only(pred.seizures[pi], gold)
    )


def _lenient_item_only(p: Seizure, gold: GoldItem) -> bool:
    """A predicted seizure without a quantity whose item a lenient null-quantity seizure accepts."""
    return p.quantity is None and any(
        ls.quantity is None and items_agree(p.item, ls.item) for ls in gold.lenient_seizures
    )


def _tally(score: ArticleScore, outcome: str) -> None:
    if outcome == "correct":
        score.numeric_correct += 1
    elif outcome == "hallucinated":
        score.hallucinated += 1
    elif outcome == "missed":
        score.missed += 1
    else:
        score.wrong += 1


def _match_names(
    pred: list[str], gold: list[tuple[str, ...]], lenient: tuple[str, ...], norm: Any = normalise_name
) -> EntityTally:
    """Micro tallies for one entity field: each gold entry is a tuple of accepted names."""
    tally = EntityTally()
    gold_keys = [{norm(n) for n in names} for names in gold]
    lenient_keys = {norm(n) for n in lenient}
    hit: set[int] = set()
    for p in pred:
        key = norm(p)
        found = next((i for i, keys in enumerate(gold_keys) if key in keys and i not in hit), None)
        if found is not None:
            hit.add(found)
            tally.tp += 1
        elif any(key in keys for keys in gold_keys) or key in lenient_keys:
            continue  # a second spelling of a matched entity, or an acceptable extra
        else:
            tally.fp += 1
    tally.fn += len(gold_keys) - len(hit)
    return tally


def _country_key(name: str) -> str:
    return normalise_name(canonical_country(name))


def score_entities(pred: OperationSummary, gold: GoldItem, score: ArticleScore) -> None:
    ops_gold = [gold.operation_names] if gold.operation_names else []
    score.entities["operation_name"] = _match_names(
        [pred.operation_name] if pred.operation_name else [], ops_gold, gold.lenient_operation_names
    )
    score.entities["agencies"] = _match_names(
        [a.name for a in pred.agencies], [a.names for a in gold.agencies], gold.lenient_agencies
    )
    score.entities["countries"] = _match_names(
        list(pred.countries), [(c,) for c in gold.countries], gold.lenient_countries, norm=_country_key
    )
    score.entities["crime_types"] = _match_names(
        [c.value for c in pred.crime_types],
        [(c,) for c in gold.crime_types],
        gold.lenient_crime_types,
        norm=lambda s: s,
    )


def grounding(pred: OperationSummary, article: str) -> tuple[int, int]:
    """(evidence spans given, spans found verbatim in the article, whitespace-normalised).

    A span is found in the text as given or in the service's repaired reading of it (mojibake fixed,
    NFC): evidence quoted from the repaired words is the article's own."""
    spans = [c.evidence for c in pred.counts().values() if c is not None and c.evidence]
    spans += [s.evidence for s in pred.seizures if s.evidence]
    repaired: list[Article] = []

    def found(span: str) -> bool:
        if span_in_text(span, article):
            return True
        if not repaired:
            repaired.append(Article.from_text(article))
        return span_in_text(span, repaired[0])

    return len(spans), sum(1 for s in spans if found(s))


def score_article(gold: GoldItem, pred: OperationSummary | None) -> ArticleScore:
    """Every SPEC §4 tally for one article. A missing prediction scores as an empty, non-relevant one."""
    summary = pred if pred is not None else OperationSummary(relevant=False)
    score = ArticleScore(id=gold.id)
    score_numbers(summary, gold, score)
    score_entities(summary, gold, score)
    score.relevance_correct = int(summary.relevant == gold.relevant)
    score.evidence_spans, score.evidence_found = grounding(summary, gold.text)
    return score
