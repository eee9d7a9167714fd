"""Every number must be stated in the article, in the quoted words."""

from service.grounding import ground, problems, snap_evidence, span_in_text
from service.schema import OperationSummary

ARTICLE = (
    "Europol Busts Racket\n\nAuthorities identified 39 suspects, arresting 3 individuals, and rescuing "
    "two child victims. During the operation, 41 raids were conducted between 6 and 17 November 2023. "
    "Officers seized nearly 40 tonnes of cocaine and \u20ac14 million in cash. Operation MOZAIK 2023 was led "
    "by the Slovenian National Police."
)


def summary(**kw: object) -> OperationSummary:
    return OperationSummary.model_validate({"relevant": True, **kw})


def test_span_in_text_is_whitespace_and_quote_tolerant() -> None:
    assert span_in_text("identified   39\nsuspects", ARTICLE)
    assert span_in_text("IDENTIFIED 39 SUSPECTS", ARTICLE)
    assert not span_in_text("identified 40 suspects", ARTICLE)
    assert not span_in_text("", ARTICLE)


def test_grounded_counts_pass_and_take_the_qualifier_from_the_text() -> None:
    s = summary(
        suspects_identified={"value": 39, "evidence": "identified 39 suspects"},
        seizures=[
            {"item": "cocaine", "quantity": 40, "unit": "tonnes", "evidence": "nearly 40 tonnes of cocaine"},
            {"item": "cash", "quantity": 14_000_000, "unit": "EUR", "evidence": "\u20ac14 million in cash"},
        ],
    )
    assert problems(s, ARTICLE) == []
    fixed, warnings = ground(s, ARTICLE)
    assert warnings == []
    assert fixed.seizures[0].qualifier.value == "upper_bound"
    assert fixed.seizures[1].unit == "EUR"


def test_value_not_in_its_evidence_is_a_problem_and_is_dropped() -> None:
    s = summary(suspects_identified={"value": 3, "evidence": "identified 39 suspects"})
    found = problems(s, ARTICLE)
    assert len(found) == 1 and found[0].field == "suspects_identified"
    assert "states 39, not 3" in found[0].message
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.suspects_identified is None
    assert any("suspects_identified dropped" in w for w in warnings)


def test_invented_evidence_is_dropped() -> None:
    s = summary(arrests={"value": 500, "evidence": "police arrested 500 people"})
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.arrests is None and warnings


def test_seizure_with_an_unstated_quantity_keeps_only_its_item() -> None:
    s = summary(seizures=[{"item": "cocaine", "quantity": 7, "unit": "kg", "evidence": "7 kg of cocaine were seized"}])
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.seizures[0].item == "cocaine"
    assert (fixed.seizures[0].quantity, fixed.seizures[0].evidence) == (None, None)
    assert warnings


def test_missing_evidence_is_dropped() -> None:
    fixed, warnings = ground(summary(searches={"value": 41}), ARTICLE)
    assert fixed.searches is None and "no evidence" in warnings[0]


def test_paraphrased_evidence_is_reanchored_to_the_article() -> None:
    snapped = snap_evidence("39 suspects were identified", 39, ARTICLE)
    assert snapped is not None and "identified 39 suspects" in snapped and span_in_text(snapped, ARTICLE)
    fixed, _ = ground(summary(suspects_identified={"value": 39, "evidence": "39 suspects were identified"}), ARTICLE)
    assert fixed.suspects_identified is not None and fixed.suspects_identified.value == 39
    # no snapping to a value the article does not state
    assert snap_evidence("500 suspects were identified", 500, ARTICLE) is None


def test_made_up_operation_name_agency_and_year_are_dropped() -> None:
    s = summary(
        operation_name="Operation Thunderbolt",
        agencies=[{"name": "FBI", "role": "lead"}, {"name": "Slovenian National Police", "role": "lead"}],
        start_date="2019-01-01",
    )
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.operation_name is None
    assert [a.name for a in fixed.agencies] == ["Slovenian National Police"]
    assert fixed.start_date is None
    assert len(warnings) == 3


def test_countries_are_canonical_and_non_countries_dropped() -> None:
    article = ARTICLE + " Officers from the Czech Republic and the UK joined in."
    fixed, warnings = ground(summary(countries=["Czech Republic", "UK", "Western Balkans"]), article)
    assert fixed.countries == ["Czechia", "United Kingdom"]
    assert any("Western Balkans" in w for w in warnings)


def test_summary_sentence_with_an_unstated_number_is_removed() -> None:
    s = summary(summary="Police identified 39 suspects. They arrested 12 people.")
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.summary == "Police identified 39 suspects."
    assert any("12" in w for w in warnings)


def test_not_relevant_clears_every_field() -> None:
    s = OperationSummary(
        relevant=False, arrests={"value": 3, "evidence": "arresting 3 individuals"}, countries=["Slovenia"]
    )
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.arrests is None and fixed.countries == []
    assert warnings


def test_agency_countries_join_the_countries_but_international_bodies_have_none() -> None:
    s = summary(
        countries=["Croatia"],
        agencies=[
            {"name": "Slovenian National Police", "country": "Slovenia", "role": "lead"},
            {"name": "Europol", "country": "Netherlands", "role": "coordinator"},
        ],
    )
    fixed, _ = ground(s, ARTICLE + " Europol supported it. Croatian officers helped.")
    assert fixed.countries == ["Croatia", "Slovenia"]
    assert [a.country for a in fixed.agencies] == ["Slovenia", None]
