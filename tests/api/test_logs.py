"""Logs (issue 10, break 5): one line per record, each with its request ID, and no article text or model
output at INFO or above, including the records of instructor, pydantic and httpx."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.logs import JsonFormatter, RedactFilter, make_handler, summarise_validation_errors
from tests.api.conftest import ServeFn, running
from tests.api.oracle import tool_name
from tests.api.test_errors import assert_problem
from tests.support.scripted_server import ScriptedServer, Step, tool_reply

# Written for this test (no golden article): the phrase below occurs nowhere else.
PHRASE = "lantern keepers of Quillon Bay"
ARTICLE = (
    "Coastguard officers detained 14 smugglers on Tuesday after a week-long watch by the "
    f"{PHRASE}, the regional prosecutor said. Officers searched 6 boats and seized 120 kg of tobacco "
    "that had been hidden under fishing nets. The operation was coordinated with customs."
)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger writes through opsum's own handler (filters and format) into a buffer."""
    buffer = io.StringIO()
    handler = make_handler(buffer, fmt="text")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _echoing_backend() -> ScriptedServer:
    """A model that answers with the article's own words where a boolean belongs: every attempt fails
    validation (pydantic echoes the input), the re-ask fails too, and the request ends in a 502."""

    def respond(body: dict[str, Any]) -> Step:
        assert tool_name(body)
        return tool_reply({"relevant": f"the {PHRASE} said so", "summary": f"Officers and the {PHRASE}."})

    return ScriptedServer(responder=respond)


def test_a_failing_request_logs_no_article_text(serve: ServeFn, captured: io.StringIO) -> None:
    with (
        running(_echoing_backend()) as server,
        serve(server, settings={"max_reasks": 1, "prompt_version": "v1-schema-fill"}) as c,
    ):
        r = c.post("/v1/summarise", json={"text": ARTICLE}, headers={"X-Request-ID": "leak-check-1"})
    assert_problem(r, 502, "backend-bad-output")
    assert len(server.requests) == 2  # the first answer and one re-ask
    logs = captured.getvalue()
    assert "validation error" in logs  # the failures are logged ...
    assert PHRASE.lower() not in logs.lower()  # ... without the article's words
    assert "Quillon" not in logs
    lines = [line for line in logs.splitlines() if "[leak-check-1]" in line]
    assert any("relevant (bool_" in line for line in lines)  # summarised by field and error type
    assert any("POST /v1/summarise 502" in line for line in lines)
    instructor_lines = [line for line in logs.splitlines() if " instructor" in line]
    assert instructor_lines and all("[leak-check-1]" in line for line in instructor_lines)


def test_every_record_is_one_line(serve: ServeFn, captured: io.StringIO) -> None:
    with running(_echoing_backend()) as server, serve(server, settings={"max_reasks": 1}) as c:
        c.post("/v1/summarise", json={"text": ARTICLE})
    lines = captured.getvalue().splitlines()
    assert lines
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ \[[^\]]+\] "
    import re

    assert all(re.match(stamp, line) for line in lines), [line for line in lines if not re.match(stamp, line)][:3]


def _record(msg: str, *args: object, name: str = "instructor.v2.retry", exc: BaseException | None = None) -> str:
    buffer = io.StringIO()
    handler = make_handler(buffer, fmt="json")
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, (type(exc), exc, None) if exc else None)
    handler.handle(record)
    return buffer.getvalue()


def test_json_format_is_one_object_per_line_with_the_request_id() -> None:
    out = _record("first\nsecond", name="service.core")
    (line,) = out.splitlines()
    data = json.loads(line)
    assert data["level"] == "ERROR" and data["request_id"] == "-" and data["logger"] == "service.core"
    assert JsonFormatter  # the formatter the setting selects


def test_exceptions_are_summarised_without_their_input() -> None:
    from pydantic import BaseModel, ValidationError

    class M(BaseModel):
        flag: bool

    try:
        M.model_validate({"flag": f"yes said the {PHRASE}"})
    except ValidationError as exc:
        out = _record("unhandled error", name="service.api.access", exc=exc)
    assert PHRASE not in out and "flag (bool_parsing)" in out and "\\n" not in json.loads(out)["message"]


@given(st.text(min_size=20, max_size=200).filter(lambda s: s.strip()))
def test_third_party_quotes_never_pass(text: str) -> None:
    """Any quoted string of 16+ characters in a third-party record is replaced by its length."""
    quoted = repr(text)
    line = json.loads(_record("call failed: input_value=%s end", quoted))["message"]
    assert "\n" not in line
    if len(quoted) - 2 >= 16 and "\n" not in text and "\\" not in quoted:
        assert quoted not in line


def test_validation_summary_keeps_fields_and_types() -> None:
    text = (
        "2 validation errors for Draft\nrelevant\n  Input should be a valid boolean [type=bool_parsing, "
        "input_value='secret words', input_type=str]\nitems.0.name\n  String should have at least 1 character "
        "[type=string_too_short, input_value='', input_type=str]"
    )
    assert summarise_validation_errors(text) == (
        "2 validation errors for Draft: relevant (bool_parsing), items.0.name (string_too_short)"
    )
    assert RedactFilter().level == logging.INFO
