"""Property: whatever the model answers, `summarise()` returns a grounded summary or raises a BackendError.

A fake backend at the `extract` level draws the tool-call arguments of every call from the JSON
schema the model is given (both prompt versions, every step), filled with hostile values (see
tests/support/hostile.py). It validates them as the real backend does: a draft that fails is an
`ExtractionFailed` carrying the raw arguments, as after the last re-ask.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from service.backends.base import ExtractionFailed, Usage
from service.errors import BackendError
from service.settings import Settings
from service.summarise import Summariser
from tests.support.hostile import hostile_strategy, leaks

T = TypeVar("T", bound=BaseModel)

ARTICLE = (
    "VILNIUS, 12 March 2024 - Police identified 39 suspects and arrested 8 people on Monday in Operation "
    "AMBER GATE, the Lithuanian Criminal Police Bureau said. Officers searched 41 homes and seized 300 kg "
    "of cannabis and \u20ac14 million in cash. Two victims were rescued. Eurojust supported the action."
)


class FuzzBackend:
    """Answers each `extract` call with arguments drawn from that call's model-facing JSON schema."""

    name = "fuzz"
    model = "fuzz"

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.wild = data.draw(st.booleans(), label="wild")  # also values that break the schema
        self.calls: list[str] = []

    def check_ready(self) -> None:
        return None

    def extract(
        self, messages: list[dict[str, str]], response_model: type[T], *, step: str, usage: Usage, max_tokens: int
    ) -> T:
        schema = response_model.model_json_schema()
        arguments = self.data.draw(hostile_strategy(schema, wild=self.wild), label=step)
        raw = json.dumps(arguments)
        usage.record(step, 10, 10, 1.0, messages=messages, response=raw)
        self.calls.append(step)
        try:
            return response_model.model_validate_json(raw)
        except ValidationError as exc:
            raise ExtractionFailed(f"fuzz: no valid {response_model.__name__}", raw, [str(exc)]) from exc


@pytest.mark.parametrize("version", ["v1-schema-fill", "v2-mined-mentions"])
@settings(
    max_examples=120,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: the failing draws are printed
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_hostile_model_output_never_escapes_and_never_leaks(version: str, data: st.DataObject) -> None:
    backend = FuzzBackend(data)
    summariser = Summariser(Settings(backend="openai", model="fuzz", base_url="http://127.0.0.1:9/v1"), backend=backend)
    try:
        result = summariser.summarise(ARTICLE, prompt_version=version)
    except BackendError:
        return  # a clean backend error (HTTP 502, CLI exit 3)
    doc: dict[str, Any] = result.summary.model_dump(mode="json")
    assert leaks(doc, ARTICLE) == []
    json.dumps(result.to_dict(), allow_nan=False)  # valid JSON: no NaN or Infinity anywhere
