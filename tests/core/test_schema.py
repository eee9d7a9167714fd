"""The contract: SPEC §2 shapes, value conventions, and the JSON schema handed to the model."""

import json

import pytest
from pydantic import ValidationError

from service.schema import Count, CrimeType, OperationSummary, Qualifier, Role, normalise_name
from service.strategies.mined_mentions import Entities
from service.strategies.schema_fill import Draft


def test_defaults_are_empty_not_invented() -> None:
    s = OperationSummary()
    assert s.relevant is False
    assert all(c is None for c in s.counts().values())
    assert s.seizures == [] and s.agencies == [] and s.countries == []


@pytest.mark.parametrize("date", ["2023-11-06", "2023-11", "2023"])
def test_iso_dates_accepted(date: str) -> None:
    assert OperationSummary(start_date=date).start_date == date


@pytest.mark.parametrize("date", ["06/11/2023", "November 2023", "2023-13", "2023-02-30", "23-11-06"])
def test_non_iso_dates_rejected(date: str) -> None:
    with pytest.raises(ValidationError, match="date"):
        OperationSummary(start_date=date)


def test_duplicates_removed() -> None:
    s = OperationSummary(
        countries=["Slovenia", "slovenia", "Croatia"],
        crime_types=["fraud", "fraud"],
        agencies=[{"name": "Europol", "role": "coordinator"}, {"name": "the EUROPOL", "role": "lead"}],
    )
    assert s.countries == ["Slovenia", "Croatia"]
    assert s.crime_types == [CrimeType.fraud]
    assert [a.name for a in s.agencies] == ["Europol"]


def test_operation_word_is_stripped() -> None:
    assert OperationSummary(operation_name="Operation MOZAIK 2023").operation_name == "MOZAIK 2023"


def test_counts_are_non_negative_integers() -> None:
    with pytest.raises(ValidationError):
        Count(value=-1)
    assert Count(value=3).qualifier is Qualifier.exact


def test_normalise_name_is_case_accent_punctuation_and_article_insensitive() -> None:
    assert normalise_name("the Slovenian National Police") == normalise_name("SLOVENIAN national police.")
    assert normalise_name("Policía Nacional") == normalise_name("Policia Nacional")


def _walk(schema: dict, defs: dict) -> list[dict]:
    out = [schema]
    for key in ("properties", "$defs"):
        for sub in (schema.get(key) or {}).values():
            out += _walk(sub, defs)
    for key in ("items", "anyOf", "allOf"):
        val = schema.get(key)
        if isinstance(val, dict):
            out += _walk(val, defs)
        elif isinstance(val, list):
            for sub in val:
                out += _walk(sub, defs)
    return out


@pytest.mark.parametrize("model", [Draft, Entities])
def test_model_facing_schema_keeps_small_models_bounded(model: type) -> None:
    schema = model.model_json_schema()
    nodes = _walk(schema, schema.get("$defs", {}))
    # every array is bounded, every string is bounded, no free-form dicts
    for node in nodes:
        if node.get("type") == "array":
            assert "maxItems" in node, node
        if node.get("type") == "string" and "enum" not in node:
            assert "maxLength" in node, node
        if node.get("type") == "object":
            assert node.get("additionalProperties") is not True
            assert "properties" in node, node
    # every field is required (nullable where it may be empty): the grammar cannot skip one
    assert set(schema["required"]) == set(schema["properties"])
    text = json.dumps(schema)
    assert all(r.value in text for r in Role)
    assert all(c.value in text for c in CrimeType)


def test_model_facing_schema_compiles_to_a_llama_grammar() -> None:
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    for model in (Draft, Entities):
        gbnf = llama_grammar.json_schema_to_gbnf(json.dumps(model.model_json_schema()))
        assert "root" in gbnf
