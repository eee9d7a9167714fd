"""The wheel carries every prompt version: a worker with only the installed package loads them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from service.prompts import PromptRegistry

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.wheel
def test_the_wheel_alone_loads_the_prompt_registry_with_the_same_hashes(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("opsum-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import service, json; from service.settings import Settings; from service.prompts import PromptRegistry; "
        "r = PromptRegistry(Settings().prompts_dir); "
        "print(json.dumps({'file': service.__file__, 'hashes': {p.version: p.hash for p in r.all()}}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSUM_")} | {"PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    seen = json.loads(done.stdout)
    assert Path(seen["file"]).is_relative_to(site)  # the wheel's copy, not the checkout
    checkout = {p.version: p.hash for p in PromptRegistry(ROOT / "prompts").all()}
    assert seen["hashes"] == checkout and len(checkout) >= 2
