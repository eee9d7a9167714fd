"""Prompt registry: every version is a folder under `prompts/`, loaded as data and hashed.

A version folder holds `meta.toml` (description, date, strategy, an optional `system` file shared
by every step, and the template files of each step) and the template files themselves (Markdown with `$placeholders`, filled with
`string.Template`). The hash covers every file of the folder, so any edit is a new hash.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

__all__ = ["PromptVersion", "PromptStep", "PromptRegistry", "UnknownPromptVersion"]


class UnknownPromptVersion(LookupError):
    def __init__(self, version: str, known: list[str]) -> None:
        super().__init__(f"unknown prompt version {version!r}; known versions: {', '.join(known) or 'none'}")
        self.version = version
        self.known = known


@dataclass(frozen=True)
class PromptStep:
    """One LLM call of a strategy: a system prompt and a user template."""

    name: str
    system: str
    user: str

    def messages(self, **values: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": Template(self.system).safe_substitute(values).strip()},
            {"role": "user", "content": Template(self.user).safe_substitute(values).strip()},
        ]


@dataclass(frozen=True)
class PromptVersion:
    version: str
    description: str
    date: str
    strategy: str
    hash: str
    steps: dict[str, PromptStep] = field(default_factory=dict)

    def step(self, name: str) -> PromptStep:
        try:
            return self.steps[name]
        except KeyError:
            raise KeyError(f"prompt {self.version} has no step {name!r} (has: {', '.join(self.steps)})") from None

    def info(self) -> dict[str, str]:
        return {
            "version": self.version,
            "hash": self.hash,
            "description": self.description,
            "date": self.date,
            "strategy": self.strategy,
        }


def _hash_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def load_version(folder: Path) -> PromptVersion:
    meta_path = folder / "meta.toml"
    meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    missing = {"description", "date", "strategy", "steps"} - meta.keys()
    if missing:
        raise ValueError(f"{meta_path}: missing keys {sorted(missing)}")
    steps = {}
    for name, files in meta["steps"].items():
        # A version-level system prompt (holding the article) is shared by every step, so that a
        # local model reuses its evaluated prefix from one step to the next.
        system_file = files.get("system", meta.get("system"))
        if system_file is None:
            raise ValueError(f"{meta_path}: step {name!r} has no system prompt")
        steps[name] = PromptStep(
            name=name,
            system=(folder / system_file).read_text(encoding="utf-8"),
            user=(folder / files["user"]).read_text(encoding="utf-8"),
        )
    return PromptVersion(
        version=folder.name,
        description=str(meta["description"]).strip(),
        date=str(meta["date"]),
        strategy=str(meta["strategy"]),
        hash=_hash_folder(folder),
        steps=steps,
    )


class PromptRegistry:
    """The prompt versions found in one folder, loaded once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._versions = (
            {p.name: load_version(p) for p in sorted(root.iterdir()) if (p / "meta.toml").is_file()}
            if root.is_dir()
            else {}
        )

    def versions(self) -> list[str]:
        return list(self._versions)

    def get(self, version: str) -> PromptVersion:
        try:
            return self._versions[version]
        except KeyError:
            raise UnknownPromptVersion(version, self.versions()) from None

    def all(self) -> list[PromptVersion]:
        return list(self._versions.values())
