"""Every lexicon group says what it is for and holds for invented positives and negatives."""

from __future__ import annotations

import pytest

from service import lexicon

# (lexicon, group, a text the group must match, a text it must not)
WORD_GROUPS = [
    ("labels", "arrested", "two men were detained overnight", "the road was around the lake"),
    ("labels", "suspects_identified", "detectives identified the suspects", "the weather was fine"),
    ("labels", "searches", "officers raided 4 flats", "a flatbed truck passed"),
    ("labels", "victims", "children were safeguarded", "the boycott ended"),
    ("labels", "seized", "officers confiscated 500 rounds", "police arrested around 200"),
    ("labels", "seizing_sentence", "the drugs were found hidden in a van", "prosecutors secured a conviction"),
    ("labels", "not_counted", "officers", "suspects"),
    ("labels", "not_people_or_places", "accounts", "houses"),
    ("labels", "total_cue", "in total 40 people", "totalitarian rhetoric"),
    ("labels", "not_seized_money", "proceeds of crime", "cash in a bag"),
    ("labels", "identifier_nouns", "flight", "people"),
    ("labels", "generic_items", "items", "cocaine"),
    ("stopwords", "function_words", "the", "cocaine"),
    ("stopwords", "item_breaks", "hidden", "heroin"),
    ("bodies", "national_forces", "the Guardia Civil said", "the civil guard of honour"),
    ("bodies", "force_heads", "South Yorkshire Police", "policeman"),
    ("units", "crypto", "BTC", "BTCX"),
]


@pytest.mark.parametrize(("lex", "name", "positive", "negative"), WORD_GROUPS)
def test_word_groups(lex: str, name: str, positive: str, negative: str) -> None:
    assert lexicon.group(lex, name)["for"]
    pattern = lexicon.pattern(lex, name)
    assert pattern.search(positive), positive
    assert not pattern.search(negative), negative


def test_units_table_maps_and_rejects() -> None:
    from service.numbers import mass_in_kg, unit_aliases

    table = unit_aliases()
    assert table["kilos"] == "kg" and table["€"] == "EUR" and table["kč"] == "CZK" and table["pieces"] == "items"
    assert "metres" not in table and "people" not in table
    assert mass_in_kg()["tonnes"] == 1000.0


def test_the_scorer_reads_the_service_table() -> None:
    from evals.scoring import canonical_unit

    assert canonical_unit("Kč") == "CZK" and canonical_unit("shekels") == "ILS"
    assert canonical_unit("metres") == "metres"


def test_bodies_aliases_and_roles() -> None:
    from service.entities import international_body

    assert international_body("the EPPO") == "European Public Prosecutor's Office"
    assert international_body("MAOC-N") == "MAOC-N"
    assert international_body("Maritime Police") is None and international_body("Europolis") is None
    roles = lexicon.mapping("bodies", "role_verbs")
    assert set(roles) == {"coordinator", "lead", "supporter", "participant"}


def test_countries_aliases_and_demonyms() -> None:
    assert lexicon.mapping("countries", "aliases")["holland"] == "Netherlands"
    demonyms = lexicon.mapping("countries", "demonyms")
    assert demonyms["Filipino"] == "Philippines" and "Police" not in demonyms


def test_an_unknown_group_is_refused() -> None:
    with pytest.raises(KeyError):
        lexicon.group("labels", "no_such_group")
