"""SPEC §4 scoring, article by article, with hand-computed expectations."""

from __future__ import annotations

import pytest

from evals.scoring import (
    canonical_unit,
    grounding,
    items_agree,
    quantities_agree,
    score_article,
)
from tests.evals.helpers import gold, pred

# --- numeric accuracy ------------------------------------------------------------------------


def _mixed_gold():
    return gold(
        {
            "relevant": True,
            "suspects_identified": {"value": 39, "qualifier": "exact"},
            "arrests": 3,  # a plain number is an exact count
            "searches": None,
            "victims_identified": {"value": 2, "qualifier": "exact"},
            "seizures": [
                {"item": "electronic devices", "quantity": 200, "unit": "items", "qualifier": "approximate"},
                {"item": "cash", "quantity": 5000, "unit": "EUR", "qualifier": "exact"},
            ],
        }
    )


def test_numeric_slots_outcomes_and_qualifiers():
    g = _mixed_gold()
    p = pred(
        suspects_identified={"value": 39, "qualifier": "exact"},  # right value, right qualifier
        arrests={"value": 4, "qualifier": "exact"},  # wrong value (qualifier not judged)
        searches={"value": 41},  # gold null → hallucinated
        victims_identified=None,  # gold 2 → missed
        seizures=[
            {"item": "devices", "quantity": 200, "unit": "items", "qualifier": "exact"},  # matches; qualifier wrong
            {"item": "cash", "quantity": 6000, "unit": "EUR"},  # matches no gold → hallucinated
        ],
    )
    s = score_article(g, p)
    # slots: 4 counts + 2 gold seizure quantities = 6
    assert s.numeric_slots == 6
    # correct: suspects (39) + devices (200) = 2
    assert s.numeric_correct == 2
    # wrong: arrests 4 vs 3 = 1
    assert s.wrong == 1
    # hallucinated: searches 41 (gold null) + the unmatched cash 6000 = 2
    assert s.hallucinated == 2
    # missed: victims (pred null) + gold cash 5000 (no predicted seizure matches it) = 2
    assert s.missed == 2
    # qualifier judged only on the 2 right values: suspects exact==exact, devices exact!=approximate → 1/2
    assert (s.qualifier_correct, s.qualifier_total) == (1, 2)
    # seizures: tp devices, fn cash 5000, fp cash 6000
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (1, 1, 1)
    outcomes = {d["field"]: d["outcome"] for d in s.details if d["field"] != "seizure"}
    assert outcomes == {
        "suspects_identified": "correct",
        "arrests": "wrong",
        "searches": "hallucinated",
        "victims_identified": "missed",
    }


def test_gold_null_and_pred_null_is_right():
    s = score_article(gold({"relevant": True}), pred())
    # 4 count slots, all null on both sides → 4/4, nothing else
    assert (s.numeric_slots, s.numeric_correct, s.hallucinated, s.missed, s.wrong) == (4, 4, 0, 0, 0)
    assert s.qualifier_total == 0


@pytest.mark.parametrize(
    ("gold_arrests", "pred_arrests", "outcome"),
    [
        (0, None, "missed"),  # "nobody has yet been arrested" is 0; a null misses it
        (0, 0, "correct"),  # explicit zero predicted
        (None, 0, "hallucinated"),  # a 0 where the article gives no number is a hallucination
        (0, 2, "wrong"),
    ],
)
def test_explicit_zero(gold_arrests, pred_arrests, outcome):
    g = gold({"relevant": True, "arrests": gold_arrests})
    p = pred(arrests=None if pred_arrests is None else {"value": pred_arrests})
    s = score_article(g, p)
    detail = next(d for d in s.details if d["field"] == "arrests")
    assert detail["outcome"] == outcome
    # the other three counts are null/null → right
    assert s.numeric_correct == 3 + (outcome == "correct")


def test_qualifier_only_on_right_values():
    g = gold(
        {
            "relevant": True,
            "arrests": {"value": 100, "qualifier": "lower_bound"},
            "searches": {"value": 50, "qualifier": "approximate"},
        }
    )
    p = pred(
        arrests={"value": 100, "qualifier": "lower_bound"},  # right value, right qualifier
        searches={"value": 60, "qualifier": "approximate"},
    )  # wrong value: qualifier not counted
    s = score_article(g, p)
    assert (s.qualifier_correct, s.qualifier_total) == (1, 1)
    assert (s.numeric_correct, s.wrong) == (3, 1)  # arrests + 2 null/null right; searches wrong


def test_non_relevant_gold_with_predicted_counts_is_hallucination():
    g = gold({"relevant": False})
    p = pred(
        relevant=True,
        arrests={"value": 4000, "evidence": "4000 officers"},
        seizures=[{"item": "cocaine", "quantity": 2, "unit": "kg"}],
    )
    s = score_article(g, p)
    # slots: 4 counts (no gold seizures); arrests hallucinated, 3 null/null right
    assert (s.numeric_slots, s.numeric_correct) == (4, 3)
    # hallucinated: arrests 4000 + the seizure quantity 2 kg that matches no gold seizure = 2
    assert s.hallucinated == 2
    assert s.relevance_correct == 0
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (0, 1, 0)


def test_missing_prediction_scores_as_empty_non_relevant():
    g = gold(
        {
            "relevant": True,
            "operation_name": "Lantern",
            "countries": ["Portugal"],
            "arrests": 12,
            "seizures": [{"item": "cocaine", "quantity": 3, "unit": "kg"}],
        }
    )
    s = score_article(g, None)
    # slots 4 + 1 seizure = 5; arrests and cocaine missed; 3 null counts right
    assert (s.numeric_slots, s.numeric_correct, s.missed, s.hallucinated) == (5, 3, 2, 0)
    assert s.relevance_correct == 0  # gold relevant, missing prediction is non-relevant
    assert (s.entities["operation_name"].fn, s.entities["countries"].fn) == (1, 1)
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (0, 0, 1)
    assert (s.evidence_spans, s.evidence_found) == (0, 0)

    # a missing prediction for a non-relevant gold article is entirely right
    s2 = score_article(gold({"relevant": False}), None)
    assert (s2.numeric_correct, s2.numeric_slots, s2.relevance_correct) == (4, 4, 1)


def test_relevance_accuracy_tally():
    assert score_article(gold({"relevant": True}), pred(relevant=True)).relevance_correct == 1
    assert score_article(gold({"relevant": False}), pred(relevant=False)).relevance_correct == 1
    assert score_article(gold({"relevant": False}), pred(relevant=True)).relevance_correct == 0


# --- entities --------------------------------------------------------------------------------


def _tally(s, field):
    t = s.entities[field]
    return t.tp, t.fp, t.fn


def test_agencies_normalisation_aliases_and_lenient():
    g = gold(
        {
            "relevant": True,
            "agencies": [
                {"name": "Slovenian National Police", "country": "Slovenia", "role": "lead"},
                {"name": "Drug Enforcement Administration", "aliases": ["DEA"]},
                {"name": "Policía Nacional", "country": "Spain"},
                "Guardia Civil",  # an agency may be given as a bare name
            ],
        },
        {"agencies": ["Western Union"]},
    )
    p = pred(
        agencies=[
            {"name": "the SLOVENIAN national police"},  # case + article → Slovenian National Police: tp
            {"name": "DEA"},  # alias → DEA: tp
            {"name": "Drug Enforcement Administration"},  # second spelling of a matched agency: neither
            {"name": "Policia Nacional"},  # accent → tp
            {"name": "Guardia-Civil."},  # punctuation → tp
            {"name": "Western Union"},  # lenient: neither hit nor FP
            {"name": "FBI"},  # FP
        ]
    )
    s = score_article(g, p)
    # tp 4 (Slovenian, DEA, Policía, Guardia), fp 1 (FBI), fn 0
    assert _tally(s, "agencies") == (4, 1, 0)


def test_agencies_missed_is_fn():
    g = gold({"relevant": True, "agencies": [{"name": "Europol"}, {"name": "Eurojust"}]})
    s = score_article(g, pred(agencies=[{"name": "EUROPOL"}]))
    assert _tally(s, "agencies") == (1, 0, 1)


def test_agency_matching_ignores_dots_in_abbreviations():
    g = gold({"relevant": True, "agencies": [{"name": "US Attorney's Office"}]})
    s = score_article(g, pred(agencies=[{"name": "U.S. Attorney's Office"}]))
    assert _tally(s, "agencies") == (1, 0, 0)


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("Mozaik 2023", (1, 0, 0)),  # case
        ("Operation MOZAIK 2023", (1, 0, 0)),  # the schema strips a leading "Operation"
        ("Mozaik-2023", (1, 0, 0)),  # second accepted spelling / punctuation
        ("Mozaïk 2023", (1, 0, 0)),  # accent
        ("Western Balkans Action", (0, 0, 1)),  # lenient name: not a FP, but the gold name is still not found
        ("Mosaic", (0, 1, 1)),  # wrong: FP and FN
        (None, (0, 0, 1)),  # missed
    ],
)
def test_operation_name_list_of_spellings(predicted, expected):
    g = gold(
        {"relevant": True, "operation_name": ["MOZAIK 2023", "Mozaik-2023"]},
        {"operation_name": "Western Balkans Action"},
    )
    s = score_article(g, pred(operation_name=predicted))
    assert _tally(s, "operation_name") == expected


def test_operation_name_absent_in_gold():
    # gold has no code name: predicting one is a FP; predicting none is nothing at all
    assert _tally(score_article(gold({"relevant": True}), pred(operation_name="Bulut")), "operation_name") == (0, 1, 0)
    assert _tally(score_article(gold({"relevant": True}), pred()), "operation_name") == (0, 0, 0)


def test_countries_canonicalised():
    g = gold(
        {"relevant": True, "countries": ["Czechia", "United Kingdom", "North Macedonia", "Türkiye"]},
        {"countries": ["Germany"]},
    )
    p = pred(countries=["Czech Republic", "UK", "Turkey", "Germany", "France"])
    s = score_article(g, p)
    # tp: Czech Republic=Czechia, UK=United Kingdom, Turkey=Türkiye → 3
    # fp: France → 1 (Germany is lenient); fn: North Macedonia → 1
    assert _tally(s, "countries") == (3, 1, 1)


def test_countries_same_country_twice_is_not_a_false_positive():
    g = gold({"relevant": True, "countries": ["Czechia"]})
    s = score_article(g, pred(countries=["Czechia", "Czech Republic"]))
    assert _tally(s, "countries") == (1, 0, 0)


def test_crime_types_with_lenient():
    g = gold({"relevant": True, "crime_types": ["cybercrime", "fraud"]}, {"crime_types": ["money_laundering"]})
    p = pred(crime_types=["cybercrime", "money_laundering", "terrorism"])
    # tp cybercrime; money_laundering lenient (neither); fp terrorism; fn fraud
    assert _tally(score_article(g, p), "crime_types") == (1, 1, 1)


# --- seizures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q1", "u1", "q2", "u2", "agree"),
    [
        (1, "tonnes", 1000, "kg", True),  # 1 tonne = 1000 kg
        (1, "tonne", 1000, "kilograms", True),
        (2.2046, "lb", 1, "kg", True),  # 2.2046 lb × 0.45359237 = 0.99999 kg
        (1200, "lb", 544.3, "kg", True),  # 1200 × 0.45359237 = 544.31 kg
        (1000, "lb", 1, "tonnes", False),  # 453.6 kg ≠ 1000 kg
        (500, "g", 0.5, "kg", True),
        (14_000_000, "€", 14_000_000, "EUR", True),  # "€" is EUR
        (14_000_000, "eur", 14_000_000, "EUR", True),
        (100, "$", 100, "USD", True),
        (100, "EUR", 100, "USD", False),
        (3, "kg", 3, "EUR", False),
        (17, None, 17, "items", True),  # no unit = counted items
        (17, "items", 18, "items", False),
        (None, None, None, "kg", True),  # both without quantity
        (None, None, 5, "kg", False),
    ],
)
def test_quantities_agree_with_unit_conversion(q1, u1, q2, u2, agree):
    assert quantities_agree(q1, u1, q2, u2) is agree


def test_canonical_unit():
    assert canonical_unit("€") == "EUR"
    assert canonical_unit("eur") == "EUR"
    assert canonical_unit("Kg") == "kg"
    assert canonical_unit("lbs") == "lb"
    assert canonical_unit(None) == "items"


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("electronic devices", "devices", True),  # token overlap
        ("firearms", "firearm", True),  # crude singular
        ("Cocaine", "cocaine hydrochloride", True),
        ("cocaine", "heroin", False),
        ("cash", "the cash", True),  # article dropped
    ],
)
def test_items_agree(a, b, agree):
    assert items_agree(a, b) is agree


def test_seizure_unit_conversion_in_scoring():
    g = gold(
        {
            "relevant": True,
            "seizures": [
                {"item": "cocaine", "quantity": 1, "unit": "tonnes"},
                {"item": "methamphetamine", "quantity": 1, "unit": "kg"},
                {"item": "cash", "quantity": 14_000_000, "unit": "EUR"},
            ],
        }
    )
    p = pred(
        seizures=[
            {"item": "cocaine", "quantity": 1000, "unit": "kg"},
            {"item": "meth methamphetamine", "quantity": 2.2046, "unit": "lb"},
            {"item": "cash", "quantity": 14_000_000, "unit": "€"},
        ]
    )
    s = score_article(g, p)
    # all 3 gold seizures matched: tp 3; slots 4 + 3 = 7, all right (the 4 counts are null/null)
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (3, 0, 0)
    assert (s.numeric_slots, s.numeric_correct, s.hallucinated, s.missed) == (7, 7, 0, 0)


def test_seizure_total_and_lenient_parts():
    g = gold(
        {"relevant": True, "seizures": [{"item": "cocaine", "quantity": 100, "unit": "kg"}]},
        {
            "seizures": [
                {"item": "cocaine", "quantity": 60, "unit": "kg"},
                {"item": "cocaine", "quantity": 40, "unit": "kg"},
            ]
        },
    )
    # total and parts predicted: the total is the hit, the parts are neither FP nor hallucinated
    s = score_article(
        g,
        pred(
            seizures=[
                {"item": "cocaine", "quantity": 100, "unit": "kg"},
                {"item": "cocaine", "quantity": 60, "unit": "kg"},
                {"item": "cocaine", "quantity": 40, "unit": "kg"},
            ]
        ),
    )
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (1, 0, 0)
    assert (s.numeric_slots, s.numeric_correct, s.hallucinated, s.missed) == (5, 5, 0, 0)
    # only the parts predicted: the total is missed (fn 1, missed 1), the parts still neither
    s = score_article(
        g,
        pred(
            seizures=[
                {"item": "cocaine", "quantity": 60, "unit": "kg"},
                {"item": "cocaine", "quantity": 40, "unit": "kg"},
            ]
        ),
    )
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (0, 0, 1)
    assert (s.numeric_correct, s.hallucinated, s.missed) == (4, 0, 1)


def test_lenient_null_quantity_seizure():
    g = gold({"relevant": True, "seizures": []}, {"seizures": [{"item": "mobile phones", "quantity": None}]})
    # an item seized without a number, accepted by a lenient null-quantity seizure: neither hit nor FP
    s = score_article(g, pred(seizures=[{"item": "phones"}]))
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (0, 0, 0)
    assert s.hallucinated == 0
    # another item without a number: a seizure FP, but no number was invented → not hallucinated
    s = score_article(g, pred(seizures=[{"item": "vehicles"}]))
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (0, 1, 0)
    assert s.hallucinated == 0
    # a number where the article gives none: hallucinated, and a FP
    s = score_article(g, pred(seizures=[{"item": "mobile phones", "quantity": 12, "unit": "items"}]))
    assert (s.seizures.fp, s.hallucinated) == (1, 1)


def test_wrong_seizure_quantity_is_missed_plus_hallucinated():
    # SPEC §4: a gold quantity with no matching predicted seizure is missed; the predicted quantity
    # that matches no gold or lenient seizure is hallucinated.
    g = gold({"relevant": True, "seizures": [{"item": "heroin", "quantity": 20, "unit": "kg"}]})
    s = score_article(g, pred(seizures=[{"item": "heroin", "quantity": 25, "unit": "kg"}]))
    assert (s.numeric_slots, s.numeric_correct, s.missed, s.hallucinated, s.wrong) == (5, 4, 1, 1, 0)
    assert (s.seizures.tp, s.seizures.fp, s.seizures.fn) == (0, 1, 1)


# --- grounding ---------------------------------------------------------------------------------

ARTICLE = "Police arrested 12 people and searched five houses.\nThey seized 3 kg of heroin on   Monday."


def test_grounding_rate_whitespace_normalised():
    p = pred(
        arrests={"value": 12, "evidence": "arrested  12\n people"},  # found (whitespace differs)
        searches={"value": 5, "evidence": "searched 5 houses"},  # not in the article
        victims_identified={"value": 1},  # no evidence: not a span
        seizures=[
            {"item": "heroin", "quantity": 3, "unit": "kg", "evidence": "seized 3 kg of heroin on Monday"},
            {"item": "cash"},
        ],  # no evidence: not a span
    )
    # spans: arrests, searches, heroin = 3; found: arrests, heroin = 2
    assert grounding(p, ARTICLE) == (3, 2)
    s = score_article(gold({"relevant": True}, text=ARTICLE), p)
    assert (s.evidence_spans, s.evidence_found) == (3, 2)


def test_grounding_needs_no_gold_and_no_evidence_means_no_spans():
    assert grounding(pred(arrests={"value": 12}), ARTICLE) == (0, 0)
