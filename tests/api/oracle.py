"""A scripted stand-in for the LLM: it answers each tool call the core makes, from the text alone.

`oracle()` returns a responder for `ScriptedServer`: "Entities" (v2 step 1), "MentionLabels"
(v2 step 2: one label per mined number, chosen from the words next to it), "SeizedItems" (v2 step
3) and "OperationSummary" (v1, one call). For `SEED` it answers like a good model would, so the
counts come out right; for any other text it gives a plain, relevant, number-free answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests.support.scripted_server import Step, tool_reply

__all__ = ["SEED", "SEED_TITLE", "SEED_COUNTS", "oracle", "tool_name"]

SEED_TITLE = "Europol Busts Major Online CSAM Racket in Western Balkans"
SEED = """Authorities have seized electronic devices while identifying 39 suspects, arresting 3 individuals, \
and rescuing two child victims.

Operation MOZAIK 2023 was launched to identify and arrest people using online forums and messaging apps \
to share child sexual abuse material (CSAM) online. Europol's press release states that law enforcement \
authorities in the Western Balkan region have identified 39 suspects from eight countries.

Europol supervised this operation, whereas the Slovenian National Police led it. It involved cooperation \
from agencies in Albania, Bosnia and Herzegovina, Kosovo, Montenegro, North Macedonia, and Serbia.

A series of law enforcement actions was conducted between 6 and 17 November 2023. During the operation, \
41 raids were conducted, and investigators uncovered a vast network of individuals sharing CSAM.

Authorities managed to seize around 200 items (computers, memory cards, computer servers, and mobile phones) \
containing images of abuse. The operation also led to the rescue of two child victims.
"""
SEED_COUNTS = {"suspects_identified": 39, "arrests": 3, "searches": 41, "victims_identified": 2}

_SEED_ENTITIES = {
    "relevant": True,
    "operation_name": "MOZAIK 2023",
    "crime_types": ["child_sexual_exploitation"],
    "agencies": [
        {"name": "Europol", "country": None, "role": "coordinator"},
        {"name": "Slovenian National Police", "country": "Slovenia", "role": "lead"},
    ],
    "countries": ["Albania", "Bosnia and Herzegovina", "Kosovo", "Montenegro", "North Macedonia", "Serbia"],
    "start_date": "2023-11-06",
    "end_date": "2023-11-17",
    "summary": "Europol and the Slovenian National Police identified 39 suspects in Operation MOZAIK 2023.",
}
_PLAIN_ENTITIES = {
    "relevant": True,
    "operation_name": None,
    "crime_types": ["other"],
    "agencies": [],
    "countries": [],
    "start_date": None,
    "end_date": None,
    "summary": "The article reports a police action.",
}
_SEED_DRAFT = {
    **_SEED_ENTITIES,
    "suspects_identified": {"evidence": "identified 39 suspects", "value": 39},
    "arrests": {"evidence": "arresting 3 individuals", "value": 3},
    "searches": {"evidence": "41 raids were conducted", "value": 41},
    "victims_identified": {"evidence": "rescuing two child victims", "value": 2},
    "seizures": [
        {"item": "electronic devices", "evidence": "seize around 200 items", "quantity": 200, "unit": "items"}
    ],
}
_PLAIN_DRAFT = {
    **_PLAIN_ENTITIES,
    "suspects_identified": None,
    "arrests": None,
    "searches": None,
    "victims_identified": None,
    "seizures": [],
}

_KEY = re.compile(r"^(?P<before>.*)\[(?P<num>[^\]]+)\](?P<after>.*)$")


def tool_name(body: dict[str, Any]) -> str:
    return str(body["tools"][0]["function"]["name"])


def _article(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))


def _label(key: str) -> str:
    m = _KEY.match(re.sub(r" #\d+$", "", key))
    if not m:
        return "other"
    before = m["before"].lower().split()[-2:]
    after = m["after"].lower().split()[:2]
    near_before, near_after = " ".join(before), " ".join(after)
    if re.search(r"raid|search", near_after) or "search" in near_before:
        return "places_searched"
    if "victim" in near_after or "rescu" in near_before:
        return "victims_rescued"
    if re.search(r"arrest", near_before) or "under arrest" in near_after:
        return "people_arrested"
    if near_after.startswith("suspect"):
        return "suspects_identified"
    if re.search(r"seiz|confiscat", near_before):
        return "amount_seized"
    return "other"


def answer(body: dict[str, Any]) -> Step:
    name = tool_name(body)
    props = body["tools"][0]["function"]["parameters"].get("properties", {})
    seed = "MOZAIK" in _article(body)
    if name == "Entities":
        return tool_reply(_SEED_ENTITIES if seed else _PLAIN_ENTITIES)
    if name == "MentionLabels":
        return tool_reply({key: _label(key) for key in props})
    if name == "SeizedItems":
        return tool_reply({key: "electronic devices" for key in props})
    if name == "OperationSummary":
        return tool_reply(_SEED_DRAFT if seed else _PLAIN_DRAFT)
    return Step(status=400)


def oracle(
    delay: float = 0.0, *, fault: Callable[[dict[str, Any]], Step | None] | None = None
) -> Callable[[dict[str, Any]], Step]:
    """A responder; `delay` seconds per call (the server sleeps outside its lock, so calls overlap);
    `fault(body)` may return a Step that replaces the answer (to inject failures)."""

    def respond(body: dict[str, Any]) -> Step:
        if fault is not None:
            step = fault(body)
            if step is not None:
                return step
        step = answer(body)
        step.delay = delay
        return step

    return respond


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
