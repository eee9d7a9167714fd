"""The real embedded model, end to end, on the founding article (about a minute on 2 cores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.grounding import span_in_text
from service.settings import Settings
from service.summarise import Summariser

SEED = json.loads((Path(__file__).resolve().parents[1] / "golden" / "golden.jsonl").read_text().splitlines()[0])


@pytest.mark.model
def test_seed_article_on_the_embedded_default() -> None:
    settings = Settings(backend="embedded")
    summariser = Summariser(settings)
    result = summariser.summarise(SEED["text"], title=SEED["title"])
    s = result.summary
    assert s.relevant is True
    assert s.suspects_identified is not None and s.suspects_identified.value == 39
    assert s.arrests is not None and s.arrests.value == 3
    assert s.searches is not None and s.searches.value == 41
    assert s.victims_identified is not None and s.victims_identified.value == 2
    names = {a.name for a in s.agencies}
    assert "Europol" in names and "Slovenian National Police" in names
    for count in s.counts().values():
        assert count is not None and span_in_text(count.evidence, SEED["text"])
    meta = result.meta
    assert meta["backend"] == "embedded" and meta["prompt_version"] == settings.prompt_version
    # generation terminates well inside its bound on every call (no repetition loop)
    assert meta["llm_calls"] >= 2
    for call in meta["calls"]:
        assert 0 < call["completion_tokens"] < settings.max_tokens
