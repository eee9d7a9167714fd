"""Free-text fields are grounded like counts: names, items, dates, countries, units, summary numbers.

Each test here is one of the breaks of issue 10 (items 2 and 3): it failed before field_checks.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.cli import main
from service.field_checks import ArticleFacts, date_grounded, exact_value, name_grounded, numbers_in
from service.grounding import ground
from service.numbers import find_numbers
from service.schema import OperationSummary
from service.strategies.mined_mentions import assemble_counts, mine
from service.strategies.schema_fill import Draft
from tests.core.test_backend_faults import ARTICLE as LIGHTHOUSE
from tests.core.test_backend_faults import draft
from tests.support.scripted_server import ScriptedServer, tool_reply

ARTICLE = (
    "ZAGREB, 8 November 2023 - Police in the region identified 39 suspects and arrested 3 people on Tuesday, "
    "Europol said. Operation KESTREL 2023 was led by the Slovenian National Police with Eurojust. "
    "Officers searched 41 houses between 6 and 17 November 2023 and seized 1 803 kg of cannabis and "
    "\u20ac14 million in cash. Two victims were rescued in Albania."
)


def summary(**kw: object) -> OperationSummary:
    return OperationSummary.model_validate({"relevant": True, **kw})


@pytest.fixture(scope="module")
def facts() -> ArticleFacts:
    return ArticleFacts.of(ARTICLE)


# --- names: whole words, numbers in place -----------------------------------------------------------


@pytest.mark.parametrize("name", ["KESTREL 2023", "Kestrel 2023", "Slovenian National Police", "Europol"])
def test_names_written_in_the_article_pass(name: str, facts: ArticleFacts) -> None:
    assert name_grounded(name, facts)


@pytest.mark.parametrize("name", ["KESTREL 202", "Europol 20", "KESTREL 2024", "Europa", "Slovenian Army"])
def test_names_with_a_substring_or_an_unstated_number_fail(name: str, facts: ArticleFacts) -> None:
    assert not name_grounded(name, facts)


def test_operation_name_and_agency_with_invented_digits_are_dropped() -> None:
    s = summary(
        operation_name="KESTREL 202",
        agencies=[
            {"name": "Europol 20", "role": "coordinator"},
            {"name": "Slovenian National Police", "country": "Slovenia", "role": "lead"},
        ],
    )
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.operation_name is None
    assert [a.name for a in fixed.agencies] == ["Slovenian National Police"]
    assert len(warnings) == 2


def test_a_seized_item_carrying_an_invented_number_does_not_survive() -> None:
    s = summary(seizures=[{"item": "9999 kg of cocaine", "quantity": 1803, "unit": "kg", "evidence": "1 803 kg"}])
    fixed, _ = ground(s, ARTICLE)
    assert all("9999" not in x.item and "cocaine" not in x.item for x in fixed.seizures)
    assert fixed.seizures[0].quantity == 1803
    s = summary(seizures=[{"item": "9999 kg of cocaine"}])
    assert ground(s, ARTICLE)[0].seizures == []


# --- units come from the quote ------------------------------------------------------------------------


def test_the_unit_comes_from_the_quoted_number_never_from_the_model() -> None:
    s = summary(
        seizures=[
            {"item": "cash", "quantity": 14_000_000, "unit": "9999 EUR", "evidence": "\u20ac14 million in cash"},
            {"item": "cannabis", "quantity": None, "unit": "9999 EUR", "evidence": "9999 EUR of cannabis"},
        ]
    )
    fixed, _ = ground(s, ARTICLE)
    assert fixed.seizures[0].unit == "EUR"
    assert (fixed.seizures[1].unit, fixed.seizures[1].evidence) == (None, None)


# --- dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stated",
    [
        "on 6 November 2023",
        "on November 6, 2023",
        "on Nov. 6th 2023",
        "on 6/11/2023",
        "on 2023-11-06",
        "on 6. November 2023",
    ],
)
def test_a_date_stated_in_any_common_form_is_kept(stated: str) -> None:
    assert date_grounded("2023-11-06", ArticleFacts.of(f"Police raided 4 homes {stated}.")) == "2023-11-06"


def test_a_date_whose_day_is_not_stated_is_cut_to_what_is() -> None:
    facts = ArticleFacts.of("The raids took place in November 2023 across the city.")
    assert date_grounded("2023-11-25", facts) == "2023-11"
    assert date_grounded("2023-10-25", facts) == "2023"
    assert date_grounded("1999-10-25", facts) is None
    fixed, warnings = ground(summary(start_date="2023-11-25", end_date="2024-01-02"), ARTICLE)
    assert (fixed.start_date, fixed.end_date) == ("2023-11", None) and len(warnings) == 2


def test_range_and_relative_dates_resolve_from_the_dateline(facts: ArticleFacts) -> None:
    # "between 6 and 17 November 2023"; the dateline 8 November 2023 is a Wednesday, "on Tuesday" the 7th
    assert [date_grounded(d, facts) for d in ("2023-11-06", "2023-11-17", "2023-11-07", "2023-11-09")] == [
        "2023-11-06",
        "2023-11-17",
        "2023-11-07",
        "2023-11",
    ]


# --- countries ----------------------------------------------------------------------------------------


def test_countries_must_be_named_or_implied_by_a_demonym() -> None:
    s = summary(
        countries=["Albania", "France", "Japan"],
        agencies=[{"name": "Slovenian National Police", "country": "Slovenia", "role": "lead"}],
    )
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.countries == ["Albania", "Slovenia"]
    assert sum("dropped" in w for w in warnings) == 2
    s = summary(agencies=[{"name": "Europol", "country": "Japan", "role": "lead"}], countries=["250"])
    fixed, _ = ground(s, ARTICLE)  # "250" is France's numeric code: not named either
    assert fixed.countries == [] and fixed.agencies[0].country is None


# --- numbers in summary sentences -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["999people", "the 777th raid", "9,99,999 rupees", "5e3 pills", "7\u00bd tonnes", "41_000 files", "twelve men"],
)
def test_a_summary_sentence_with_a_number_in_any_form_is_dropped(written: str) -> None:
    s = summary(summary=f"Police identified 39 suspects. They found {written} in the raids.")
    fixed, warnings = ground(s, ARTICLE)
    assert fixed.summary == "Police identified 39 suspects."
    assert len(warnings) == 1


@pytest.mark.parametrize(
    "written",
    ["1,803 kg", "1803 kg", "\u20ac14m", "14,000,000 euros", "thirty-nine suspects", "two victims", "6-17 November"],
)
def test_a_number_the_article_states_may_be_written_another_way(written: str) -> None:
    s = summary(summary=f"Police reported {written}.")
    assert ground(s, ARTICLE)[0].summary == s.summary


def test_the_permissive_scanner_reads_every_form() -> None:
    values = {str(v) for w in numbers_in("999people 777th 9,99,999 5e3 7\u00bd 41_000 XIV twelve") for v in w.values}
    assert {"999", "777", "999999", "5000", "15/2", "41000", "14", "12"} <= values


# --- integers end to end ---------------------------------------------------------------------------------

BIG = "Officers arrested 9007199254740993 people in the sweep."


def test_a_mined_count_keeps_every_digit() -> None:
    mention = next(m for m in find_numbers(BIG) if m.is_count_like)
    assert exact_value(mention) == 9007199254740993
    from service.strategies.mined_mentions import Label

    counts = assemble_counts([(m, Label.arrested) for m in mine(BIG)])
    assert counts["arrests"] is not None and counts["arrests"].value == 9007199254740993


def test_a_drafted_count_and_quantity_keep_every_digit_and_a_near_miss_is_dropped() -> None:
    args = draft(
        arrests={"evidence": "arrested 9007199254740993 people", "value": 9007199254740993},
        searches=None,
        seizures=[
            {"item": "people", "evidence": "9007199254740993 people", "quantity": 9007199254740993, "unit": None}
        ],
    )
    s = Draft.model_validate_json(json.dumps(args)).to_summary()
    fixed, _ = ground(s, BIG)
    assert fixed.arrests is not None and fixed.arrests.value == 9007199254740993
    assert fixed.seizures[0].quantity == 9007199254740993
    off_by_one = summary(arrests={"value": 9007199254740992, "evidence": "arrested 9007199254740993 people"})
    assert ground(off_by_one, BIG)[0].arrests is None


# --- no 500 from model output (issue 10, item 3) -----------------------------------------------------------


def test_loose_draft_values_are_dropped_or_nulled_with_a_warning() -> None:
    args = draft(
        agencies=[{"name": "", "country": None, "role": "lead"}, *draft()["agencies"]],
        seizures=[
            {"item": "", "evidence": None, "quantity": 3, "unit": "kg"},
            {"item": "cocaine", "evidence": "1.800 kilograms of cocaine", "quantity": -5, "unit": "kg"},
            {"item": "heroin", "evidence": None, "quantity": math.nan, "unit": "kg"},
        ],
    )
    warnings: list[str] = []
    s = Draft.model_validate_json(json.dumps(args)).to_summary(warnings)
    assert [a.name for a in s.agencies] == ["Rijeka Police Administration"]
    assert [x.quantity for x in s.seizures] == [None, None]
    assert len(warnings) == 4


def run_v1(server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "a.txt"
    path.write_text(LIGHTHOUSE, encoding="utf-8")
    args = ["summarise", str(path), "--prompt", "v1-schema-fill", "--base-url", server.base_url, "--model", "m"]
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_an_over_long_item_is_trimmed_not_the_whole_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSUM_MAX_REASKS", "0")
    long_item = "cocaine " * 20
    args = draft(
        seizures=[{"item": long_item, "evidence": "1.800 kilograms of cocaine", "quantity": 1800, "unit": "kg"}]
    )
    with ScriptedServer(script=[tool_reply(args)]) as server:
        code, out, err = run_v1(server, tmp_path, capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["seizures"][0]["quantity"] == 1800
    assert any("trimmed" in w for w in doc["meta"]["warnings"])


def test_a_model_output_validation_error_is_a_backend_error_not_a_bad_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        OperationSummary.model_validate({"agencies": [{"name": ""}]})

    monkeypatch.setattr("service.summarise.Summariser.summarise", broken)
    with ScriptedServer(script=[tool_reply(draft())]) as server:
        code, _, err = run_v1(server, tmp_path, capsys)
    assert code == 3
    assert "bad setting" not in err and "backend error" in err


def test_a_bad_setting_is_still_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("OPSUM_MAX_REASKS", "-4")
    with ScriptedServer(script=[tool_reply(draft())]) as server:
        code, _, err = run_v1(server, tmp_path, capsys)
    assert code == 2 and "bad setting" in err


def test_validation_error_titles_are_what_the_cli_reads() -> None:
    with pytest.raises(ValidationError) as info:
        OperationSummary.model_validate({"agencies": [{"name": ""}]})
    assert info.value.title == "OperationSummary"
