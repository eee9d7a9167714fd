from __future__ import annotations

import pytest

from tests.evals.helpers import isolate_env


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    isolate_env(monkeypatch, str(tmp_path_factory.mktemp("xdg-cache")))


class Runs:
    """Two `opsum eval run`s of the tiny golden file against the scripted server: a good model and
    a worse one, each with its own response cache."""

    def __init__(self, root, server_good, server_bad):  # type: ignore[no-untyped-def]
        self.root = root
        self.server_good = server_good
        self.server_bad = server_bad
        self.good = root / "run-good"
        self.bad = root / "run-bad"
        self.cache_good = root / "cache-good"
        self.cache_bad = root / "cache-bad"
        self.good_stdout = ""


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """`opsum …` in process; returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    from service.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse errors
            rc = exc.code if isinstance(exc.code, int) else 1
    return rc, out.getvalue(), err.getvalue()


def eval_run_argv(base_url: str, out, cache_dir=None, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    from tests.evals.helpers import PROMPT, TINY_GOLDEN

    argv = [
        "eval",
        "run",
        "--golden",
        str(TINY_GOLDEN),
        "--prompt",
        PROMPT,
        "--out",
        str(out),
        "--quiet",
        "--base-url",
        base_url,
        "--model",
        "scripted",
    ]
    if cache_dir is not None:
        argv += ["--cache-dir", str(cache_dir)]
    return argv + list(extra)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.evals.helpers import BAD, GOOD, responder_for
    from tests.support.scripted_server import ScriptedServer

    root = tmp_path_factory.mktemp("runs")
    with (
        pytest.MonkeyPatch.context() as mp,
        ScriptedServer(responder=responder_for(GOOD)) as good,
        ScriptedServer(responder=responder_for(BAD)) as bad,
    ):
        isolate_env(mp, str(root / "xdg"))
        r = Runs(root, good, bad)
        rc, out, err = run_cli(eval_run_argv(good.base_url, r.good, r.cache_good))
        assert rc == 0, err
        r.good_stdout = out
        rc, _, err = run_cli(eval_run_argv(bad.base_url, r.bad, r.cache_bad))
        assert rc == 0, err
        yield r
