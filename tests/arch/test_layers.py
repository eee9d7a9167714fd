"""The layering is a contract (`.importlinter`), and the contract must cover every core module.

`lint-imports` (run by `make lint`, hence CI) checks the imports; these tests check that the
contract cannot silently miss a module added later, and that it is really enforced.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _contract(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return parser[f"importlinter:contract:{name}"]


def _modules(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.add(".".join(parts))
    return found


def _is_face(module: str) -> bool:
    """The faces: the HTTP service and the command lines (`service.cli`, each plugin's `cli`)."""
    return module == "service.api" or module.startswith("service.api.") or module.split(".")[-1] == "cli"


def _listed(section: configparser.SectionProxy, key: str) -> set[str]:
    return {line.strip() for line in section[key].splitlines() if line.strip()}


def test_every_core_module_is_under_the_core_contract() -> None:
    core = {m for m in _modules("service") if not _is_face(m)}
    listed = _listed(_contract("core-not-faces"), "source_modules")
    missing = core - listed
    assert not missing, f"add these core modules to .importlinter (core-not-faces): {sorted(missing)}"
    assert not {m for m in listed if _is_face(m)}, "the faces are not part of the core"


def test_the_faces_and_the_harness_are_forbidden_to_the_core() -> None:
    assert _listed(_contract("core-not-faces"), "forbidden_modules") == {
        "service.api",
        "service.cli",
        "service.batch.cli",
        "evals",
    }


@pytest.mark.skipif(
    shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None, reason="import-linter is not installed"
)
def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    """Copy the packages, add one import the contract forbids, and lint-imports must fail."""
    for package in ("service", "evals"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    schema = tmp_path / "service" / "schema.py"
    schema.write_text(schema.read_text(encoding="utf-8") + "\nimport service.settings  # noqa\n", encoding="utf-8")
    tool = str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [tool, "--no-cache"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "service.schema imports nothing of ours BROKEN" in result.stdout
