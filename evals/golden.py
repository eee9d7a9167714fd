"""Golden files (SPEC §3): JSON Lines of hand-labelled articles, loaded through `datasets`.

Any file in the SPEC format can be loaded, not only the project's own. Label blocks vary in
shape from article to article (an operation name is a string or a list, a lenient block holds
only the keys it needs), which Arrow cannot type column-wise, so the JSON builder reads them as
JSON strings and this module turns them back into typed `GoldItem`s.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from service.errors import OpsumError
from service.schema import COUNT_FIELDS, CrimeType, Qualifier

__all__ = [
    "GoldItem",
    "GoldAgency",
    "GoldSeizure",
    "GoldCount",
    "load_golden",
    "select_split",
    "split_hashes",
    "GoldenFormatError",
    "SPLITS",
]

DEFAULT_GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "golden.jsonl"
SPLITS = ("dev", "test")
SplitChoice = Literal["dev", "test", "all"]


class GoldenFormatError(OpsumError, ValueError):
    """A golden file that does not follow SPEC §3; the message names the line and the field."""


@dataclass(frozen=True)
class GoldCount:
    value: int
    qualifier: Qualifier


@dataclass(frozen=True)
class GoldAgency:
    name: str
    country: str | None
    role: str | None
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class GoldSeizure:
    item: str
    quantity: float | None
    unit: str | None
    qualifier: Qualifier


@dataclass(frozen=True)
class GoldItem:
    id: str
    title: str | None
    text: str
    relevant: bool
    operation_names: tuple[str, ...]
    crime_types: tuple[str, ...]
    agencies: tuple[GoldAgency, ...]
    countries: tuple[str, ...]
    start_date: str | None
    end_date: str | None
    counts: dict[str, GoldCount | None]
    seizures: tuple[GoldSeizure, ...]
    lenient_operation_names: tuple[str, ...] = ()
    lenient_crime_types: tuple[str, ...] = ()
    lenient_agencies: tuple[str, ...] = ()
    lenient_countries: tuple[str, ...] = ()
    lenient_seizures: tuple[GoldSeizure, ...] = ()
    source: str | None = None
    notes: str = ""
    split: str = "dev"
    extra: dict[str, Any] = field(default_factory=dict)


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v)


def _count(value: Any, where: str) -> GoldCount | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return GoldCount(int(value), Qualifier.exact)
    try:
        return GoldCount(int(value["value"]), Qualifier(value.get("qualifier") or "exact"))
    except (KeyError, TypeError, ValueError) as exc:
        raise GoldenFormatError(f"{where}: a count needs an integer 'value' and a valid 'qualifier'") from exc


def _seizure(value: Any, where: str) -> GoldSeizure:
    try:
        qty = value.get("quantity")
        return GoldSeizure(
            item=str(value["item"]),
            quantity=None if qty is None else float(qty),
            unit=value.get("unit"),
            qualifier=Qualifier(value.get("qualifier") or "exact"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GoldenFormatError(f"{where}: a seizure needs 'item' and a numeric or null 'quantity'") from exc


def _agency(value: Any, where: str) -> GoldAgency:
    if isinstance(value, str):
        return GoldAgency(name=value, country=None, role=None)
    try:
        return GoldAgency(
            name=str(value["name"]),
            country=value.get("country"),
            role=value.get("role"),
            aliases=_names(value.get("aliases")),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise GoldenFormatError(f"{where}: an agency needs a 'name'") from exc


def parse_item(record: dict[str, Any], where: str) -> GoldItem:
    for key in ("id", "text", "labels"):
        if record.get(key) is None:
            raise GoldenFormatError(f"{where}: missing '{key}'")
    split = record.get("split") or "dev"
    if split not in SPLITS:
        raise GoldenFormatError(f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
    labels = record["labels"]
    lenient = record.get("lenient") or {}
    if not isinstance(labels, dict):
        raise GoldenFormatError(f"{where}: 'labels' must be an object")
    for ct in [*labels.get("crime_types", []), *lenient.get("crime_types", [])]:
        if ct not in CrimeType.__members__:
            raise GoldenFormatError(f"{where}: unknown crime type {ct!r}")
    return GoldItem(
        id=str(record["id"]),
        title=record.get("title"),
        text=str(record["text"]),
        relevant=bool(labels.get("relevant", True)),
        operation_names=_names(labels.get("operation_name")),
        crime_types=tuple(labels.get("crime_types") or ()),
        agencies=tuple(_agency(a, f"{where} agencies") for a in labels.get("agencies") or ()),
        countries=tuple(labels.get("countries") or ()),
        start_date=labels.get("start_date"),
        end_date=labels.get("end_date"),
        counts={f: _count(labels.get(f), f"{where} {f}") for f in COUNT_FIELDS},
        seizures=tuple(_seizure(s, f"{where} seizures") for s in labels.get("seizures") or ()),
        lenient_operation_names=_names(lenient.get("operation_name")),
        lenient_crime_types=tuple(lenient.get("crime_types") or ()),
        lenient_agencies=tuple(
            n for a in lenient.get("agencies") or () for n in _agency(a, f"{where} lenient.agencies").names
        ),
        lenient_countries=tuple(lenient.get("countries") or ()),
        lenient_seizures=tuple(_seizure(s, f"{where} lenient.seizures") for s in lenient.get("seizures") or ()),
        source=record.get("source"),
        notes=record.get("notes") or "",
        split=split,
    )


def select_split(items: list[GoldItem], split: SplitChoice) -> list[GoldItem]:
    """The articles of one split (`dev`, `test`) or all of them, in file order."""
    return list(items) if split == "all" else [it for it in items if it.split == split]


def split_hashes(path: Path) -> dict[str, str]:
    """Per split, a hash of that split's lines of the golden file (ids, texts and labels as written):
    adding articles to one split leaves the other split's hash, and its baseline, valid."""
    digests: dict[str, Any] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            split = json.loads(line).get("split") or "dev"
        except (json.JSONDecodeError, AttributeError):
            continue
        digests.setdefault(split, hashlib.sha256()).update(line.encode() + b"\n")
    return {k: v.hexdigest()[:16] for k, v in sorted(digests.items())}


def load_golden(path: Path | str = DEFAULT_GOLDEN) -> list[GoldItem]:
    """Every article of a golden JSONL file, read through the `datasets` JSON builder."""
    path = Path(path)
    if not path.is_file():
        raise GoldenFormatError(f"no golden file at {path}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    datasets.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory(prefix="opsum-golden-") as tmp:
        flat = Path(tmp) / "golden.jsonl"
        written = 0
        with path.open(encoding="utf-8") as src, flat.open("w", encoding="utf-8") as dst:
            for n, line in enumerate(src, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise GoldenFormatError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
                if not isinstance(record, dict):
                    raise GoldenFormatError(f"{path}:{n}: each line must be a JSON object")
                record = {
                    k: (json.dumps(v, ensure_ascii=False) if k in {"labels", "lenient"} else v)
                    for k, v in record.items()
                }
                record["_line"] = n
                dst.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
        if not written:
            raise GoldenFormatError(f"{path}: no articles in the file")
        features = None
        ds = datasets.load_dataset(
            "json",
            data_files=str(flat),
            split="train",
            cache_dir=str(Path(tmp) / "cache"),
            keep_in_memory=True,
            features=features,
        )
        items = []
        seen: set[str] = set()
        for row in ds:
            where = f"{path}:{row['_line']}"
            record = dict(row)
            record["labels"] = json.loads(record["labels"]) if record.get("labels") else None
            record["lenient"] = json.loads(record["lenient"]) if record.get("lenient") else {}
            item = parse_item(record, where)
            if item.id in seen:
                raise GoldenFormatError(f"{where}: duplicate id {item.id!r}")
            seen.add(item.id)
            items.append(item)
    return items
