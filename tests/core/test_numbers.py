"""The deterministic number parser on a table of tricky cases."""

import pytest

from service.numbers import find_numbers, is_vague_quantity, values_in
from service.schema import Qualifier

Q = Qualifier


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("identifying 39 suspects", 39, None, Q.exact),
        ("rescuing two child victims", 2, None, Q.exact),
        ("thirty-nine suspects", 39, None, Q.exact),
        ("twenty one arrests", 21, None, Q.exact),
        ("one hundred and twenty people", 120, None, Q.exact),
        ("four hundred kilograms", 400, "kg", Q.exact),
        ("1 803 arrests", 1803, None, Q.exact),
        ("1\u00a0803 arrests", 1803, None, Q.exact),
        ("6,758 counterfeit notes", 6758, None, Q.exact),
        ("1.800 kilograms of cocaine", 1800, "kg", Q.exact),
        ("EUR 245.000 in cash", 245000, "EUR", Q.exact),
        ("1.5 tonnes", 1.5, "tonnes", Q.exact),
        ("2,5 tonnes", 2.5, "tonnes", Q.exact),
        ("€14 million", 14_000_000, "EUR", Q.exact),
        ("€2.2 billion", 2_200_000_000, "EUR", Q.exact),
        ("$2.3m in cash", 2_300_000, "USD", Q.exact),
        ("£450,000 was seized", 450_000, "GBP", Q.exact),
        ("Rs 12 crore", 120_000_000, "INR", Q.exact),
        ("Rs 5 lakh", 500_000, "INR", Q.exact),
        ("3.2 BTC", 3.2, "BTC", Q.exact),
        ("27.4 bitcoin", 27.4, "BTC", Q.exact),
        ("nearly 40 tonnes", 40, "tonnes", Q.upper_bound),
        ("up to 300 firearms", 300, None, Q.upper_bound),
        ("more than 1,200 lb of methamphetamine", 1200, "lb", Q.lower_bound),
        ("at least 12 searches", 12, None, Q.lower_bound),
        ("over 50 victims", 50, None, Q.lower_bound),
        ("around 200 items", 200, None, Q.approximate),
        ("some 120 devices", 120, None, Q.approximate),
        ("about 30 suspects", 30, None, Q.approximate),
        ("500+ arrests", 500, None, Q.lower_bound),
        ("2kg of heroin", 2, "kg", Q.exact),
        ("CZK 11.4m in cash", 11_400_000, "CZK", Q.exact),
        ("12,000 HUF", 12_000, "HUF", Q.exact),
        ("nobody has yet been arrested", 0, None, Q.exact),
    ],
)
def test_parses_value_unit_and_qualifier(text: str, value: float, unit: str | None, qualifier: Qualifier) -> None:
    found = [m for m in find_numbers(text) if m.is_count_like]
    assert found, f"no number found in {text!r}"
    m = found[0]
    assert m.value == pytest.approx(value)
    assert m.unit == unit
    assert m.qualifier is qualifier
    assert m.text in text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a 36-year-old man", "age"),
        ("aged 25", "age"),
        ("sentenced to 21 years in prison", "duration"),
        ("between 6 and 17 November 2023", "date"),
        ("in 2023", "year"),
        ("75% of cases", "percent"),
        ("call 1-877-792-2873 now", "identifier"),
        ("who range in age from 22 to 57", "age"),
        ("one of the largest seizures", "partitive"),
        ("a flat in Sector 137", "identifier"),
        ("the ship was 300 nautical miles offshore", "distance"),
        ("\n  1. Video Chat Website Shuts Down", "list_marker"),
    ],
)
def test_numbers_that_are_not_counts_are_classified(text: str, kind: str) -> None:
    kinds = {m.kind for m in find_numbers(text)}
    assert kind in kinds
    assert not any(m.is_count_like for m in find_numbers(text) if m.kind == kind)


@pytest.mark.parametrize("text", ["dozens of officers", "hundreds of suspects", "a dozen raids", "several arrests"])
def test_vague_quantities_are_not_numbers(text: str) -> None:
    assert is_vague_quantity(text)
    assert values_in(text) == []


def test_every_mention_keeps_its_exact_span() -> None:
    text = "Police arrested 3 people and seized nearly 40 tonnes and €14 million; 41 raids took place."
    for m in find_numbers(text):
        assert text[m.start : m.end] == m.text


def test_ordinals_are_not_counts() -> None:
    assert values_in("the 3rd raid in the 21st week") == []


def test_same_text_same_mentions() -> None:
    text = "Officers carried out 41 raids, arrested thirty-nine people and seized 1.800 kilograms."
    assert find_numbers(text) == find_numbers(text)
