"""The one `Article` analysis: body, sentences, dates, entity candidates, linear time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from service import lexicon
from service.article import Article
from service.injection import _patterns

TEXT = (
    "LISBON, 12 March 2025 - Portuguese police arrested 7 people on Monday, the U.S. Drug Enforcement "
    "Administration (DEA) said. Operation Tidewater was led by the Polícia Judiciária with Europol.\n\n"
    "By Ana Costa | 12 March 2025\n\n"
    "Officers seized 2.5 tonnes of cocaine in a raid codenamed Ironbark. No. 10 said nothing.\n\n"
    "Related\n- First headline about a case\n- Second headline about a case\n- Third headline, 99 arrests\n\n"
    "Source link"
)


def test_body_cuts_related_headlines_and_trailers() -> None:
    a = Article.from_text(TEXT)
    assert "99 arrests" not in a.body_text and "Ironbark" in a.body_text
    assert 99 not in {n.value for n in a.body_numbers}


def test_one_splitter_keeps_abbreviations_together() -> None:
    a = Article.from_text(TEXT)
    sentences = [a.text[s:e] for s, e in a.sentences]
    assert any("the U.S. Drug Enforcement Administration (DEA) said." in s for s in sentences)
    assert any(s.startswith("Officers seized 2.5 tonnes") for s in sentences)


def test_dateline_and_relative_dates() -> None:
    a = Article.from_text(TEXT)
    assert a.dateline == "2025-03-12"
    assert ("on Monday", "2025-03-10") in {(d.text, d.iso) for d in a.dates}


def test_entity_candidates() -> None:
    e = Article.from_text(TEXT).entities
    kinds = {(c.name, c.kind) for c in e.countries}
    assert ("Portugal", "demonym") in kinds and ("United States", "country") in kinds
    agencies = {(c.name, c.kind) for c in e.agencies}
    assert ("Europol", "international") in agencies
    assert ("Drug Enforcement Administration", "acronym") in agencies
    assert ("Polícia Judiciária", "national") in agencies
    assert {c.name for c in e.operations} >= {"Tidewater", "Ironbark"}


def test_clean_text_is_not_changed_and_mojibake_is_repaired() -> None:
    clean = "“Quoted” — text with €5 and Suárez."
    assert Article.from_text(clean).text == clean
    assert Article.from_text("Police seized â‚¬14 million").text == "Police seized €14 million"


ADVERSARIAL = {
    "bullets": ("\n- the" * 16600)[:99900] + "\n" + "b" * 50,
    "repeated words": "seized police arrested " * 4400,
    "digit runs": ("9" * 5000 + " ") * 19,
    "no spaces": "ab" * 50_000,
    "dots": "a." * 50_000,
    "blank runs": "\n" + " " * 99_000 + "x",
    "numbered": "".join(f"\n{i % 99}. headline about a case" for i in range(3800)),
    "numbers": "Police seized 1,200 kg, arrested 39 suspects and €14 million. " * 1500,
}


def _cpu_seconds(fn: Callable[[], object]) -> float:
    """CPU time of the fastest of 5 runs (process time: other processes on the machine do not count)."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def _growth(make: Callable[[str], object], text: str) -> float:
    """How much more CPU 4x the text costs (linear: about 4; quadratic: about 16), measured in one run.

    Each side repeats the call until the small side costs a measurable 20 ms, so timer
    granularity and cache warm-up do not decide the ratio.
    """
    small, large = text[:25_000], text[:100_000]

    def runs(text: str, repeat: int) -> Callable[[], object]:
        return lambda: [make(text) for _ in range(repeat)]

    repeat = 1
    while _cpu_seconds(runs(small, repeat)) < 0.02 and repeat < 4096:
        repeat *= 4
    cost_small = _cpu_seconds(runs(small, repeat))
    cost_large = _cpu_seconds(runs(large, repeat))
    return cost_large / max(cost_small, 1e-6)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_from_text_is_linear(name: str) -> None:
    assert _growth(Article.from_text, ADVERSARIAL[name]) < 9


def _article_patterns() -> list[re.Pattern[str]]:
    pats = [p for _, p in _patterns()]
    for name in ("arrested", "seized", "seizing_sentence", "not_seized_money", "total_cue", "identifier_nouns"):
        pats.append(lexicon.pattern("labels", name))
    return pats


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_every_lexicon_pattern_is_linear(name: str) -> None:
    text = ADVERSARIAL[name]
    for pattern in _article_patterns():
        assert _growth(pattern.search, text) < 9, pattern.pattern[:80]
