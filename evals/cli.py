"""`opsum eval …`: registered into the `opsum` command through the `opsum.cli` entry point."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evals.golden import DEFAULT_GOLDEN

__all__ = ["register"]


def _print_summary(summary: dict[str, object], out: Path) -> None:
    from evals.report import metric_rows

    width = max(len(n) for n, _, _ in metric_rows(summary))
    for name, value, ci in metric_rows(summary):
        print(f"{name:<{width}}  {value:>7}  {ci}")
    print(f"wrote {out / 'summary.json'}, {out / 'results.jsonl'}, {out / 'report.md'}, {out / 'report.html'}")


def _cmd_score(args: argparse.Namespace) -> int:
    from evals.runner import score_predictions

    summary = score_predictions(args.golden, args.predictions, args.out)
    _print_summary(summary, args.out)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from evals.runner import RunOptions, run_eval
    from service.cli import settings_from_args

    settings = settings_from_args(args)
    mode = "off" if args.no_cache else "refresh" if args.refresh else "replay" if args.replay_only else "use"
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
            engine=args.engine,
            ray_address=args.ray_address,
        )
    )
    _print_summary(summary, args.out)
    print(f"wall {summary['wall_s']} s, {summary['llm_calls']} LLM calls, cache {summary['cache']}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from evals.compare import compare_runs, render_html, render_markdown

    result = compare_runs(args.run_a, args.run_b, golden=args.golden)
    md = render_markdown(result)
    print(md)
    out = args.out or args.run_b
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(md, encoding="utf-8")
    (out / "compare.html").write_text(render_html(result), encoding="utf-8")
    (out / "compare.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out / 'compare.md'}, {out / 'compare.html'}, {out / 'compare.json'}", file=sys.stderr)
    return 0


def _cmd_gate(args: argparse.Namespace) -> int:
    from evals.gate import gate, load_summary

    result = gate(load_summary(args.run), load_summary(args.baseline), max_drop=args.max_drop)
    if result.passed:
        print(f"gate passed: {len(result.checked)} checks within {args.max_drop} of {args.baseline}")
        return 0
    print(f"gate FAILED against {args.baseline}:", file=sys.stderr)
    for failure in result.failures:
        print(f"  - {failure}", file=sys.stderr)
    return 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from service.cli import add_backend_options

    ev = sub.add_parser("eval", help="score, run, compare and gate evaluations on golden files")
    esub = ev.add_subparsers(dest="eval_command", required=True)

    p = esub.add_parser("score", help="score a predictions file against a golden file (no LLM)")
    p.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="golden JSONL (SPEC §3)")
    p.add_argument("--predictions", type=Path, required=True, help='JSONL of {"id", "summary"}')
    p.add_argument("--out", type=Path, required=True, help="folder for summary.json, results.jsonl, reports")
    p.set_defaults(func=_cmd_score)

    p = esub.add_parser("run", help="summarise every golden article with one prompt version and score it")
    p.add_argument("--golden", type=Path, default=DEFAULT_GOLDEN, help="golden JSONL (SPEC §3)")
    p.add_argument("--prompt", help="prompt version (default: OPSUM_PROMPT_VERSION or the project default)")
    p.add_argument("--out", type=Path, required=True, help="run folder (an existing one is resumed)")
    p.add_argument("--cache-dir", type=Path, help="response cache folder (default: ~/.cache/opsum/responses)")
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
    add_backend_options(p)
    p.set_defaults(func=_cmd_run)

    p = esub.add_parser("compare", help="compare two runs: paired bootstrap CIs and per-article changes")
    p.add_argument("run_a", type=Path)
    p.add_argument("run_b", type=Path)
    p.add_argument("--golden", type=Path, help="override the golden file recorded in the runs")
    p.add_argument("--out", type=Path, help="where to write compare.md/.html/.json (default: RUN_B)")
    p.set_defaults(func=_cmd_compare)

    p = esub.add_parser("gate", help="exit 1 if RUN regressed against a baseline summary")
    p.add_argument("run", type=Path, help="run folder or summary.json")
    p.add_argument("--baseline", type=Path, required=True, help="baseline summary.json")
    p.add_argument("--max-drop", type=float, default=0.02, help="largest allowed drop of any rate (default 0.02)")
    p.set_defaults(func=_cmd_gate)
