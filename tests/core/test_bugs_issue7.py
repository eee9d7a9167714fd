"""Issue 7's bug list: each test failed before the fix. Sentences are invented for the rule."""

from __future__ import annotations

from service.numbers import find_numbers
from service.strategies.mined_mentions import Label, _dedupe_seized, checked_label, mine


def quantities(text: str) -> list[tuple[float, str | None]]:
    return [(m.value, m.unit) for m in find_numbers(text) if m.is_count_like]


def test_keywords_are_whole_words_round_is_not_around() -> None:
    m = [x for x in mine("Police arrested around 200 people at the fair.") if x.number.value == 200][0]
    assert checked_label(Label.seized, m) is not Label.seized  # "around" once matched "round"
    ammo = [x for x in mine("Officers seized 500 rounds of ammunition.") if x.number.value == 500][0]
    assert checked_label(Label.seized, ammo) is Label.seized


def test_same_quantity_of_different_things_is_two_seizures() -> None:
    seized = _dedupe_seized(mine("Officers seized 2 pistols, 2 rifles and 2 pistols in the van."))
    assert sorted(m.after.split()[0].strip(",") for m in seized) == ["pistols", "rifles"]


def test_every_age_of_a_list_is_an_age() -> None:
    assert quantities("The suspects, aged 20, 25 and 30, were held.") == []
    assert quantities("Three women aged between 19 and 44 were freed.") == [(3, None)]


def test_clock_times_are_not_quantities() -> None:
    assert quantities("The raid began at 10.30 am and ended at 14:45.") == []
    assert quantities("Officers seized 10.5 kg of heroin.") == [(10.5, "kg")]


def test_numbers_glued_to_a_name_are_identifiers() -> None:
    assert quantities("Covid-19 rules and a MH-17 report delayed the trial.") == []
    assert quantities("Police seized 19 cars.") == [(19, None)]


def test_a_scale_word_makes_the_dot_a_decimal() -> None:
    assert quantities("The fraud cost investors $1.250 billion.") == [(1_250_000_000, "USD")]
    assert quantities("Officers seized 1.250 kg of cocaine.") == [(1250, "kg")]  # European grouping stays


def test_currency_written_after_the_amount() -> None:
    assert quantities("Each dose sold for 34,50 € in the bars.") == [(34.5, "EUR")]
    assert quantities("A fine of 9 800 Kč was paid.") == [(9800, "CZK")]
    assert quantities("Police found ₪98 in his wallet.") == [(98, "ILS")]
    assert quantities("The gang kept 120 zł and 40 € in a tin.") == [(120, "PLN"), (40, "EUR")]


def test_hundred_and_twelve_is_one_number() -> None:
    assert quantities("Officers arrested a hundred and twelve people.") == [(112, None)]
    assert quantities("Hundred and twelve homes were searched.") == [(112, None)]
