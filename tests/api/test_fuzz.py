"""Property-based fuzzing of the OpenAPI schema (schemathesis): zero 5xx, answers as documented.

Every operation gets schema-valid and schema-violating requests against a live server over the
scripted backend, checked by schemathesis's default checks (no server error, status codes,
content types, headers and bodies as documented, invalid data rejected). One allowance: schema-valid
text may still be refused with 413/422, because "is this an article" (binary, control characters,
blank) cannot be said in JSON Schema. The number of cases per operation is bounded (OPSUM_FUZZ_EXAMPLES,
default 200: about 750 requests) so that the run takes well under a minute; the counts go to artifacts/fuzz-counts.json.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from service.api import ServiceSettings, create_app
from service.settings import REPO_ROOT, Settings
from tests.api.conftest import LiveServer, backend_settings, running, service_settings
from tests.api.oracle import oracle
from tests.support.scripted_server import ScriptedServer

MAX_EXAMPLES = int(os.environ.get("OPSUM_FUZZ_EXAMPLES", "200"))
SERVICE = {"max_concurrency": 4, "queue_size": 64, "batch_max": 4, "max_body_bytes": 65536}
CALLS: Counter[str] = Counter()  # documented operations
PROBES: Counter[str] = Counter()  # other methods on the same paths (schemathesis checks they get 405)
STATUSES: Counter[str] = Counter()


def _schema() -> dict:
    """The app's OpenAPI document, built without starting anything."""
    app = create_app(
        Settings(backend="openai", base_url="http://127.0.0.1:9/v1", model="scripted"),
        ServiceSettings(examples_path=Path("/nonexistent/golden.jsonl"), **SERVICE),
    )
    return app.openapi()


CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "413", "422"]}},
    }
)
schema = schemathesis.openapi.from_dict(_schema(), config=CONFIG)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("fuzz")
    golden = tmp / "golden.jsonl"
    golden.write_text(json.dumps({"id": "one", "title": "One", "text": "Police arrested 3 people."}) + "\n")
    with running(ScriptedServer(responder=oracle())) as server:
        app = create_app(backend_settings(server, tmp), service_settings(tmp, examples_path=golden, **SERVICE))
        with LiveServer(app) as live:
            yield live.url
    _report()


def _report() -> None:
    out = REPO_ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    counts = {
        "max_examples": MAX_EXAMPLES,
        "total": sum(CALLS.values()) + sum(PROBES.values()),
        "operations": dict(CALLS),
        "method_probes": sum(PROBES.values()),
        "statuses": dict(sorted(STATUSES.items())),
    }
    (out / "fuzz-counts.json").write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nfuzz: {counts['total']} requests, {counts['statuses']} by status; per operation {dict(CALLS)} "
        f"+ {counts['method_probes']} unsupported-method probes"
    )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_no_5xx_and_answers_as_documented(case: schemathesis.Case, live_url: str) -> None:
    response = case.call(base_url=live_url, timeout=30)
    documented = case.method.lower() in schema.raw_schema["paths"][case.path]
    (CALLS if documented else PROBES)[f"{case.method} {case.path}"] += 1
    STATUSES[str(response.status_code)] += 1
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:500]}"
    case.validate_response(response)
