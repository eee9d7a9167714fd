"""The language check for short text (issue 10, break 6): short German text is refused without a model
call; short English headlines go through. Every sentence here was written for this test."""

from __future__ import annotations

import httpx
import pytest

from service.inputs import looks_english
from tests.support.scripted_server import ScriptedServer

ENGLISH = [
    "Police seize 2 tonnes of cocaine in Rotterdam port",
    "Cocaine seized at Antwerp port",
    "Twelve held in Berlin drug raids",
    "Hamburg police detain 3 suspects",
    "Operation Pandora: 41 arrests",
    "Ransomware gang members detained in Ukraine",
    "Authorities dismantle firearms trafficking ring",
]
OTHER = [
    "Polizei nimmt in Berlin 12 Verdächtige fest",
    "Zoll beschlagnahmt Kokain im Hafen",
    "Die Polizei hat am Dienstag drei Männer festgenommen, die in Hamburg mit Drogen gehandelt haben sollen.",
    "La police a arrêté 5 personnes à Marseille",
    "Politie houdt 4 verdachten aan in Amsterdam",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_short_english_headlines_pass(text: str) -> None:
    assert looks_english(text)


@pytest.mark.parametrize("text", OTHER)
def test_short_text_in_another_language_is_refused(text: str) -> None:
    assert not looks_english(text)


def test_short_german_article_gets_no_model_call(client: httpx.Client, scripted: ScriptedServer) -> None:
    r = client.post("/v1/summarise", json={"text": OTHER[2]})
    assert r.status_code == 200
    data = r.json()
    assert data["summary"]["relevant"] is False
    assert any("English" in w for w in data["meta"]["warnings"])
    assert scripted.requests == []
