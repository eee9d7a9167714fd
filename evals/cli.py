"""`opsum eval …`: registered into the `opsum` command through the `opsum.cli` entry point.

Exit codes, for CI: 0 pass, 1 regression (`eval gate` only), 2 usage or input error (a missing
run folder, a malformed golden or predictions file, a replay miss): one line on stderr, never a
traceback. The formats the commands read and write are described in docs/formats.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from evals.golden import DEFAULT_GOLDEN, GoldenFormatError

if TYPE_CHECKING:  # the commands import their modules lazily
    from evals.cache import CacheMode

__all__ = ["register", "EXIT_PASS", "EXIT_REGRESSION", "EXIT_USAGE"]

EXIT_PASS, EXIT_REGRESSION, EXIT_USAGE = 0, 1, 2
FORMATS = "formats: docs/formats.md (golden files, predictions, results.jsonl, summary.json)"
Command = Callable[[argparse.Namespace], int]


def _print_summary(summary: dict[str, object], out: Path) -> None:
    from evals.report import metric_rows

    width = max(len(n) for n, _, _ in metric_rows(summary))
    for name, value, ci in metric_rows(summary):
        print(f"{name:<{width}}  {value:>7}  {ci}")
    splits = summary.get("splits") or {}
    if isinstance(splits, dict) and len(splits) > 1:
        for split, block in splits.items():
            print(
                f"[{split}] {block['articles']} articles, numeric_accuracy {block['numeric_accuracy']}, "
                f"entity_f1 {block['entity_f1']}"
            )
    print(f"wrote {out / 'summary.json'}, {out / 'results.jsonl'}, {out / 'report.md'}, {out / 'report.html'}")


def _input_errors() -> tuple[type[BaseException], ...]:
    from evals.cache import CacheMiss
    from evals.gate import GateInputError
    from evals.runner import PredictionsFormatError
    from service.prompts import UnknownPromptVersion

    return (
        CacheMiss,
        GateInputError,
        PredictionsFormatError,
        GoldenFormatError,
        UnknownPromptVersion,
        FileNotFoundError,
        NotADirectoryError,
        IsADirectoryError,
        json.JSONDecodeError,
    )


def _guarded(fn: Command) -> Command:
    """Input and usage errors become one line on stderr and exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except _input_errors() as exc:
            print(f"opsum: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except ValueError as exc:  # e.g. two runs that share no article
            print(f"opsum: error: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return run


def _cmd_score(args: argparse.Namespace) -> int:
    from evals.runner import score_predictions

    summary = score_predictions(args.golden, args.predictions, args.out, split=args.split)
    _print_summary(summary, args.out)
    return EXIT_PASS


def _cmd_run(args: argparse.Namespace) -> int:
    from evals.runner import RunOptions, run_eval
    from service.cli import settings_from_args

    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit must be at least 1")
    if args.concurrency is not None and args.concurrency < 1:
        raise ValueError("--concurrency must be at least 1")
    settings = settings_from_args(args)
    mode: CacheMode = "off" if args.no_cache else "refresh" if args.refresh else "replay" if args.replay_only else "use"
    summary = run_eval(
        RunOptions(
            golden=args.golden,
            out=args.out,
            prompt_version=args.prompt,
            settings=settings,
            cache_mode=mode,
            cache_dir=args.cache_dir,
            concurrency=args.concurrency,
            limit=args.limit,
            progress=not args.quiet,
            split=args.split,
            cache_store=args.cache_store,
            engine=args.engine,
            ray_address=args.ray_address,
        )
    )
    _print_summary(summary, args.out)
    print(f"wall {summary['wall_s']} s, {summary['llm_calls']} LLM calls, cache {summary['cache']}")
    return EXIT_PASS


def _cmd_compare(args: argparse.Namespace) -> int:
    from evals.compare import compare_runs, render_html, render_markdown

    result = compare_runs(args.run_a, args.run_b, golden=args.golden)
    md = render_markdown(result)
    print(md)
    out = args.out or args.run_b
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(md, encoding="utf-8")
    (out / "compare.html").write_text(render_html(result, out=out), encoding="utf-8")
    (out / "compare.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out / 'compare.md'}, {out / 'compare.html'}, {out / 'compare.json'}", file=sys.stderr)
    return EXIT_PASS


def _cmd_gate(args: argparse.Namespace) -> int:
    from evals.gate import Thresholds, gate, junit_xml, load_summary, load_thresholds, summary_markdown

    if args.max_drop is not None and args.max_drop < 0:
        raise ValueError("--max-drop must be ≥ 0")
    run, baseline = load_summary(args.run), load_summary(args.baseline)
    thresholds = load_thresholds(args.thresholds) if args.thresholds else Thresholds()
    result = gate(run, baseline, max_drop=args.max_drop, thresholds=thresholds)
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(junit_xml(result), encoding="utf-8")
    if args.summary_md:
        args.summary_md.parent.mkdir(parents=True, exist_ok=True)
        args.summary_md.write_text(summary_markdown(result, run=str(args.run), baseline=str(args.baseline)), "utf-8")
    for note in result.notes:
        print(f"  {note}")
    if result.passed:
        print(f"gate passed: {len(result.checks)} checks against {args.baseline}")
        return EXIT_PASS
    print(
        f"gate FAILED against {args.baseline} ({len(result.failures)} of {len(result.checks)} checks):", file=sys.stderr
    )
    for failure in result.failures:
        print(f"  - {failure}", file=sys.stderr)
    return EXIT_REGRESSION


def _cmd_show(args: argparse.Namespace) -> int:
    from evals.show import find_row, render_transcript

    row = find_row(args.run, args.article_id)
    if args.json:
        print(json.dumps((row.get("meta") or {}).get("calls") or [], indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_transcript(row, max_chars=args.max_chars))
    return EXIT_PASS


def _verbose_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: an absent -v here keeps `opsum eval -v …`'s count instead of resetting it to 0
    p.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help="log more (-v info, -vv debug)")
    return p


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines) + f"\n\n{FORMATS}"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from service.cli import add_backend_options

    ev = sub.add_parser(
        "eval",
        help="score, run, compare and gate evaluations on golden files",
        description="The eval harness. Exit codes: 0 pass, 1 regression (gate), 2 usage or input error.",
        epilog=_examples(
            "opsum eval run --golden golden/golden.jsonl --prompt v2-mined-mentions --out runs/v2",
            "opsum eval gate runs/ci --baseline evals/baseline.json --junit junit.xml",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    esub = ev.add_subparsers(dest="eval_command", required=True)
    common = [_verbose_parent()]

    def add(name: str, help: str, description: str, examples: list[str]) -> argparse.ArgumentParser:
        return esub.add_parser(
            name,
            help=help,
            description=description,
            epilog=_examples(*examples),
            parents=common,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    def split_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--split",
            choices=["dev", "test", "all"],
            default="all",
            help="golden split to use: dev (tuning), test (reporting) or all (default); per-split figures "
            "are in summary.json 'splits'",
        )

    p = add(
        "score",
        "score a predictions file against a golden file (no LLM)",
        'Score any system\'s predictions (JSON Lines of {"id", "summary"}, docs/formats.md §4) against a golden file. '
        "Values that do not fit the schema are dropped with a warning, never the whole file.",
        [
            "opsum eval score --golden golden/golden.jsonl --predictions preds.jsonl --out runs/other",
            "opsum eval score --predictions preds.jsonl --split test --out runs/other-test",
        ],
    )
    p.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="golden JSONL (docs/formats.md)")
    p.add_argument("--predictions", type=Path, required=True, help='JSONL of {"id", "summary"} (docs/formats.md)')
    p.add_argument("--out", type=Path, required=True, help="folder for summary.json, results.jsonl, reports")
    split_option(p)
    p.set_defaults(func=_guarded(_cmd_score))

    p = add(
        "run",
        "summarise every golden article with one prompt version and score it",
        "Summarise each golden article with one prompt version, score it and write a run folder "
        "(results.jsonl with every call's transcript, summary.json, report.md, report.html). "
        "An existing run folder is resumed; with the response cache only the missing calls are made.",
        [
            "opsum eval run --golden golden/golden.jsonl --prompt v2-mined-mentions --out runs/v2",
            "opsum eval run --cache-dir golden/cache --replay-only --split dev --quiet --out runs/ci",
            "opsum eval run --cache-dir runs/cache.sqlite --base-url http://127.0.0.1:8080/v1 --model m --out runs/big",
        ],
    )
    p.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="golden JSONL (docs/formats.md)")
    p.add_argument("--prompt", help="prompt version (default: OPSUM_PROMPT_VERSION or the project default)")
    p.add_argument("--out", type=Path, required=True, help="run folder (an existing one is resumed)")
    p.add_argument("--cache-dir", type=Path, help="response cache (default: ~/.cache/opsum/responses)")
    p.add_argument(
        "--cache-store",
        choices=["auto", "dir", "sqlite"],
        default="auto",
        help="dir: one JSON file per call; sqlite: one SQLite file (large runs); auto (default): sqlite when "
        "--cache-dir ends in .sqlite/.db, else dir",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the response cache")
    g.add_argument("--refresh", action="store_true", help="call the model for every article and overwrite the cache")
    g.add_argument("--replay-only", action="store_true", help="only cached responses; a miss is an error (CI)")
    p.add_argument("--concurrency", type=int, help="articles in flight (default: 1 embedded, 4 remote)")
    p.add_argument("--limit", type=int, help="only the first N articles")
    p.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local (default): a thread pool here; ray: the summarising on a Ray Data actor pool of "
        "--concurrency workers (scoring stays here)",
    )
    p.add_argument("--ray-address", help="with --engine ray: join this cluster (default: start a local one)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    split_option(p)
    add_backend_options(p)
    p.set_defaults(func=_guarded(_cmd_run))

    p = add(
        "compare",
        "compare two runs: paired bootstrap CIs and per-article changes",
        "Compare two run folders over their shared articles: each metric's delta B − A with a paired BCa "
        "bootstrap 95 % CI, a forest plot, and the articles that got better or worse, with why.",
        ["opsum eval compare runs/v1 runs/v2", "opsum eval compare runs/v1 runs/v2 --out runs/v1-vs-v2"],
    )
    p.add_argument("run_a", type=Path, help="run folder A (the reference)")
    p.add_argument("run_b", type=Path, help="run folder B")
    p.add_argument("--golden", type=Path, help="override the golden file recorded in the runs")
    p.add_argument("--out", type=Path, help="where to write compare.md/.html/.json (default: RUN_B)")
    p.set_defaults(func=_guarded(_cmd_compare))

    p = add(
        "gate",
        "exit 1 if RUN regressed against a baseline summary",
        "Gate a run against a baseline summary.json: each rate within its allowed drop, no more hallucinated "
        "or missed numbers, no new hallucination in a clean article, and the same golden articles and prompt "
        "hash. Exit 0 pass, 1 regression, 2 usage or input error.",
        [
            "opsum eval gate runs/ci --baseline evals/baseline.json --max-drop 0.02",
            "opsum eval gate runs/ci --baseline evals/baseline.json --thresholds evals/thresholds.toml "
            '--junit reports/gate.xml --summary-md "$GITHUB_STEP_SUMMARY"',
        ],
    )
    p.add_argument("run", type=Path, help="run folder or summary.json")
    p.add_argument("--baseline", type=Path, required=True, help="baseline summary.json")
    p.add_argument(
        "--max-drop",
        type=float,
        help="largest allowed drop of a rate without its own threshold (default: the thresholds file's "
        "max_drop, else 0.02)",
    )
    p.add_argument("--thresholds", type=Path, help="TOML: max_drop = 0.02 and a [metrics] table of per-metric limits")
    p.add_argument("--junit", type=Path, help="write JUnit XML: one <testcase> per check, <failure> per regression")
    p.add_argument("--summary-md", type=Path, help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    p.set_defaults(func=_guarded(_cmd_gate))

    p = add(
        "show",
        "print one article's transcript: every LLM call's messages, raw response and errors",
        "Print every LLM call of one article of a run: step, tokens, time, cached or live, the messages as "
        "sent, the raw tool-call arguments as received, and the validation errors that triggered a re-ask.",
        ["opsum eval show runs/ci mozaik-2023", "opsum eval show runs/ci mozaik-2023 --json | jq '.[0].messages'"],
    )
    p.add_argument("run", type=Path, help="run folder")
    p.add_argument("article_id", help="the article's id in the golden file")
    p.add_argument("--json", action="store_true", help="the calls as JSON instead of text")
    p.add_argument("--max-chars", type=int, help="cut each message and response after N characters")
    p.set_defaults(func=_guarded(_cmd_show))
