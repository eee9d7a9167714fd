"""`opsum batch`: registered into the `opsum` command through the `opsum.cli` entry point."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run_batch_command"]

_EPILOG = """\
INPUT is JSON Lines ({"id", "text", "title"?} per line), a .parquet file or a `datasets` folder with
columns id, text and optionally title. DIR/shards/*.parquet get one row per article (id, summary
and meta as JSON, relevant, error, error_type, latency_ms, prompt_version, prompt_hash, tokens,
worker, run); DIR/manifest.json sums the run up. Running again over the same INPUT and DIR does
only what is missing (and, with --retry-failed, what failed). Exit codes: 0 every article done,
2 some articles are bad input (or a bad argument), 3 some failed on the backend; failed rows keep
their error in the shards."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add `batch` to the `opsum` subcommands (an argparse `_SubParsersAction`)."""
    from service.cli import add_backend_options

    p: argparse.ArgumentParser = subparsers.add_parser(
        "batch",
        help="summarise a corpus into resumable parquet shards (locally, or on Ray Data)",
        description="Summarise every article of a corpus into parquet shards under DIR, resumably.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=Path, metavar="INPUT", help="JSONL, .parquet or a `datasets` folder")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (an existing one is resumed)")
    p.add_argument("--prompt", help="prompt version (see `opsum prompts`)")
    p.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local (default): this process; ray: Ray Data with an actor pool of summarisers",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="summarisers at once (default OPSUM_BATCH_WORKERS=4 for a remote backend; 1 for the embedded model, "
        "which runs one at a time with --engine local)",
    )
    p.add_argument("--ray-address", help="join this Ray cluster (e.g. ray://head:10001); default: start a local one")
    p.add_argument("--retry-failed", action="store_true", help="summarise again the articles that failed before")
    p.add_argument("--shard-size", type=int, help="articles per shard (default OPSUM_BATCH_SHARD_SIZE=32)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_options(p)
    p.set_defaults(func=run_batch_command)
    return p


def run_batch_command(args: argparse.Namespace) -> int:
    from service.batch.run import BatchOptions, run_batch
    from service.cli import settings_from_args

    if args.workers is not None and args.workers < 1:
        print("opsum: error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.shard_size is not None and args.shard_size < 1:
        print("opsum: error: --shard-size must be at least 1", file=sys.stderr)
        return 2
    manifest = run_batch(
        BatchOptions(
            input=args.input,
            out=args.out,
            settings=settings_from_args(args),
            prompt_version=args.prompt,
            engine=args.engine,
            workers=args.workers,
            ray_address=args.ray_address,
            retry_failed=args.retry_failed,
            shard_size=args.shard_size,
            progress=not args.quiet,
        )
    )
    json.dump({k: v for k, v in manifest.items() if k != "per_worker"}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    errors: dict[str, int] = manifest["errors"]
    if not errors:
        return 0
    print(
        f"opsum: {manifest['failed']} of {manifest['articles']} articles failed "
        f"({', '.join(f'{n} {k}' for k, n in sorted(errors.items()))}); their errors are in {args.out}/shards; "
        "run again with --retry-failed to retry them",
        file=sys.stderr,
    )
    backend_failure = any(k.startswith("Backend") or k in {"InternalError", "PromptMismatch"} for k in errors)
    return 3 if backend_failure else 2
