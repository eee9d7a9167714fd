from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.batch.helpers import isolate_env, responder
from tests.support.scripted_server import ScriptedServer


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    isolate_env(monkeypatch, str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(responder=responder) as s:
        yield s


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"
