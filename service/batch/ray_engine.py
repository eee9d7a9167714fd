"""The `ray` engine: Ray Data reads the input shards, an actor pool of summarisers maps them, the driver
writes each finished shard atomically.

read (`from_arrow`, one block per shard) → `map_batches(_ShardActor, compute=ActorPoolStrategy(size=N))`,
each actor building its backend once (the embedded model loads once per actor) → `iter_batches` on
the driver, one output block per input shard, handed to `emit` (tmp file + rename). Writing on the
driver keeps the shard writes atomic and the progress bar true; the rows are small (a summary is a
few kB), so the driver is not the bottleneck (docs/scale.md).

Needs the optional extra: `pip install 'opsum[ray]'`.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa

from service.batch.engines import Emit
from service.batch.worker import RowSummariser, WorkerSpec
from service.errors import OpsumError

__all__ = ["run_ray", "RayUnavailable"]

log = logging.getLogger(__name__)


class RayUnavailable(OpsumError):
    """Ray is not installed, or the cluster cannot be joined."""


class _ShardActor:
    """One summariser per actor: `__init__` loads the backend once, `__call__` maps one shard."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.work = RowSummariser(spec)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.work.table(batch)


def _init(address: str | None) -> bool:
    """Connect to `address`, or start a local one-node cluster; True when this call started Ray."""
    import ray

    if ray.is_initialized():
        return False
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=log.isEnabledFor(logging.INFO),
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise RayUnavailable(
            f"cannot join the Ray cluster at {address!r} ({exc}): check --ray-address (ray://HOST:10001 or HOST:6379)"
        ) from exc
    return True


def run_ray(
    shards: list[pa.Table],
    spec: WorkerSpec,
    *,
    workers: int,
    emit: Emit,
    address: str | None = None,
    actor_cpus: float = 1.0,
) -> None:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise RayUnavailable("the ray engine needs Ray Data: pip install 'opsum[ray]'") from exc
    if not shards:
        return
    started = _init(address)
    try:
        if not log.isEnabledFor(logging.INFO):
            logging.getLogger("ray.data").setLevel(logging.WARNING)  # no "execution finished" lines
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the command draws its own bar, per shard written
        ctx.print_on_execution_start = False
        ds = ray.data.from_arrow(shards)
        out = ds.map_batches(
            _ShardActor,
            fn_constructor_kwargs={"spec": spec},
            batch_size=None,  # one call per block = one input shard → one output shard
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=min(workers, len(shards))),  # no idle actor
            num_cpus=actor_cpus,
        )
        for block in out.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
            emit(_as_table(block))
    finally:
        if started:
            ray.shutdown()


def _as_table(block: Any) -> pa.Table:
    return block if isinstance(block, pa.Table) else pa.Table.from_pydict(block)
