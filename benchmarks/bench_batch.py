"""Throughput of `opsum batch` against a backend of fixed latency L (the scripted OpenAI-compatible
server on 127.0.0.1, answering every call after L seconds, any number at once).

For 1, 2, 4 and 8 workers on `--engine local` and `--engine ray`: articles/s, the speed-up over one
worker, and the overhead per article over the core (`Summariser.summarise`) called directly:
overhead = wall · workers / articles − t_core. The Ray wall includes starting the actor pool (each
actor is a process that imports opsum and builds its backend), which a long run amortises; the
"steady" column leaves it out: articles after the first shard / time from the first shard to the last.

    PYTHONPATH=$PWD python benchmarks/bench_batch.py [--latency 0.1] [--articles 24] [--no-ray]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.batch.run import BatchOptions, run_batch  # noqa: E402
from service.batch.store import ShardStore  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.summarise import Summariser  # noqa: E402
from tests.batch.helpers import article, corpus, draft_for, write_corpus  # noqa: E402
from tests.support.scripted_server import ScriptedServer, Step, tool_reply  # noqa: E402

PROMPT = "v1-schema-fill"  # one LLM call per article: the latency L is the whole model cost


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds the backend takes per call")
    ap.add_argument("--articles", type=int, default=24)
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    for key in [k for k in os.environ if k.startswith("OPSUM_")]:
        del os.environ[key]

    def respond(body: dict) -> Step:
        return replace(tool_reply(draft_for(json.dumps(body["messages"]))), delay=args.latency)

    with ScriptedServer(responder=respond) as server, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            backend="openai", base_url=server.base_url, model="scripted", max_reasks=0, transport_retries=0
        )
        core = Summariser(settings)
        core.summarise(article(1), prompt_version=PROMPT)  # warm: imports, client
        times = []
        for n in range(1, 9):
            t = time.perf_counter()
            core.summarise(article(n), prompt_version=PROMPT)
            times.append(time.perf_counter() - t)
        t_core = statistics.median(times)
        src = write_corpus(Path(tmp) / "corpus.jsonl", corpus(args.articles))
        print(f"backend latency L = {args.latency * 1000:.0f} ms; core called directly: {t_core * 1000:.1f} ms/article")
        print(f"{args.articles} articles per run, shard size 4, 2 CPU cores\n")
        print(
            "| engine | workers | wall s | articles/s | speed-up | steady articles/s | ideal (workers/L) | overhead ms/article |"
        )
        print("|---|---|---|---|---|---|---|---|")
        stamps: list[tuple[float, int]] = []
        real_write = ShardStore.write

        def timed_write(self: ShardStore, table, *, run: int, seq: int):  # type: ignore[no-untyped-def]
            stamps.append((time.perf_counter(), table.num_rows))
            return real_write(self, table, run=run, seq=seq)

        ShardStore.write = timed_write  # type: ignore[method-assign]
        engines = ["local"] if args.no_ray else ["local", "ray"]
        if not args.no_ray:
            import ray

            ray.init(num_cpus=os.cpu_count() or 2, include_dashboard=False, log_to_driver=False)
        for engine in engines:
            base = None
            for workers in [int(w) for w in args.workers.split(",")]:
                out = Path(tmp) / f"{engine}-{workers}"
                opts = BatchOptions(
                    input=src,
                    out=out,
                    settings=settings,
                    prompt_version=PROMPT,
                    engine=engine,  # type: ignore[arg-type]
                    workers=workers,
                    shard_size=4,
                    progress=False,
                )
                stamps.clear()
                t = time.perf_counter()
                manifest = run_batch(opts)
                wall = time.perf_counter() - t
                assert manifest["done"] == args.articles, manifest
                rate = args.articles / wall
                base = base or rate
                overhead = (wall * workers / args.articles - t_core) * 1000
                span = stamps[-1][0] - stamps[0][0]
                steady = sum(n for _, n in stamps[1:]) / span if span > 0 else float("nan")
                print(
                    f"| {engine} | {workers} | {wall:.2f} | {rate:.1f} | {rate / base:.2f}× | {steady:.1f} | "
                    f"{workers / args.latency:.0f} | {overhead:.1f} |"
                )
        if not args.no_ray:
            ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
