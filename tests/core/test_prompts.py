"""Prompts are data: versions load from folders and carry a content hash."""

import shutil
from pathlib import Path

import pytest

from service.prompts import PromptRegistry, UnknownPromptVersion
from service.settings import REPO_ROOT


def test_shipped_versions_load_with_distinct_strategies() -> None:
    registry = PromptRegistry(REPO_ROOT / "prompts")
    versions = {p.version: p for p in registry.all()}
    assert {"v1-schema-fill", "v2-mined-mentions"} <= set(versions)
    assert versions["v1-schema-fill"].strategy != versions["v2-mined-mentions"].strategy
    for p in versions.values():
        assert len(p.hash) == 16 and p.description and p.date
        for step in p.steps.values():
            messages = step.messages(article="ARTICLE-TEXT", title="T", mentions="M")
            assert "ARTICLE-TEXT" in messages[0]["content"] + messages[1]["content"]
            assert "$article" not in messages[0]["content"]


def test_steps_share_the_system_prompt_holding_the_article() -> None:
    p = PromptRegistry(REPO_ROOT / "prompts").get("v2-mined-mentions")
    systems = {s.messages(article="X", title="T", mentions="")[0]["content"] for s in p.steps.values()}
    assert len(systems) == 1


def test_article_text_is_not_a_template() -> None:
    p = PromptRegistry(REPO_ROOT / "prompts").get("v1-schema-fill")
    nasty = "Price $article ${title} {{ 7*7 }} {% raw %}"
    content = p.step("extract").messages(article=nasty, title="T")[0]["content"]
    assert nasty in content


def test_hash_changes_with_any_file(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "prompts" / "v1-schema-fill", tmp_path / "vX")
    before = PromptRegistry(tmp_path).get("vX").hash
    (tmp_path / "vX" / "user.md").write_text("changed $article", encoding="utf-8")
    assert PromptRegistry(tmp_path).get("vX").hash != before


def test_unknown_version_names_the_known_ones() -> None:
    with pytest.raises(UnknownPromptVersion, match="v1-schema-fill"):
        PromptRegistry(REPO_ROOT / "prompts").get("v9")
