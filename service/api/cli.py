"""`opsum serve`: the HTTP API and the page on uvicorn. Wire it in with `register(subparsers)`."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

__all__ = ["register", "run_serve"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add `serve` to the `opsum` subcommands (an argparse `_SubParsersAction`)."""
    from service.cli import add_backend_options

    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the HTTP API (/v1/summarise, /docs) and the page at /",
        description="Serve opsum over HTTP. Service settings come from OPSUM_* variables "
        "(OPSUM_API_KEYS, OPSUM_CORS_ORIGINS, OPSUM_MAX_CONCURRENCY, OPSUM_QUEUE_SIZE, OPSUM_BATCH_MAX, "
        "OPSUM_REQUEST_TIMEOUT_S, ...): see docs/api.md.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=8000, help="port to bind (default 8000; 0 for any free port)")
    p.add_argument(
        "--graceful-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="on shutdown, wait at most this long for requests in flight; those still running are then "
        "cancelled and answered 503 (default: until they finish)",
    )
    add_backend_options(p)
    p.set_defaults(func=run_serve)
    return p


def run_serve(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from service.api.app import create_app
    from service.api.logs import configure_logging
    from service.api.server import make_server
    from service.api.settings import ServiceSettings
    from service.cli import settings_from_args

    try:
        settings = settings_from_args(args)
        configure_logging(logging.DEBUG if getattr(args, "verbose", 0) else logging.INFO, settings.log_format)
        service = ServiceSettings()
        app = create_app(settings, service)
    except ValidationError as exc:
        print(f"opsum: error: bad setting: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"opsum: error: {exc}", file=sys.stderr)
        return 2
    make_server(app, host=args.host, port=args.port, graceful_timeout_s=args.graceful_timeout, service=service).run()
    return 0
