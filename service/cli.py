"""The `opsum` command line. Subcommands of other packages (the eval harness) are plugins.

Plugins register through the entry-point group `opsum.cli`: a function that receives the
argparse subparsers. This keeps the service free of imports from the harness.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import ValidationError

from service.errors import BackendError, InvalidArticle, OpsumError
from service.inputs import decode_article
from service.prompts import UnknownPromptVersion
from service.settings import Settings

__all__ = ["main", "add_backend_options", "settings_from_args"]


def add_backend_options(p: argparse.ArgumentParser) -> None:
    """The flags every command that calls a model shares (they override OPSUM_* variables)."""
    p.add_argument(
        "--backend",
        choices=["embedded", "openai"],
        help="default: embedded, or openai when --base-url/--model or OPSUM_BASE_URL/OPSUM_MODEL is set",
    )
    p.add_argument("--model", help="model name for the openai backend (OPSUM_MODEL)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (OPSUM_BASE_URL)")
    p.add_argument("--model-path", type=Path, help="a GGUF file for the embedded backend (OPSUM_MODEL_PATH)")
    p.add_argument("--threads", type=int, dest="n_threads", help="llama.cpp threads (OPSUM_N_THREADS)")


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(
        backend=getattr(args, "backend", None),
        model=getattr(args, "model", None),
        base_url=getattr(args, "base_url", None),
        model_path=getattr(args, "model_path", None),
        n_threads=getattr(args, "n_threads", None),
    )


def _read_input(path: str) -> str:
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if not p.is_file():
            raise InvalidArticle(f"no such file: {path}")
        raw = p.read_bytes()
    return decode_article(raw)


def _cmd_summarise(args: argparse.Namespace) -> int:
    from service.summarise import Summariser

    settings = settings_from_args(args)
    text = _read_input(args.path)
    # size check before the model loads, so a bad input fails fast
    from service.inputs import check_article

    check_article(text, settings.max_chars)
    result = Summariser(settings).summarise(text, title=args.title, prompt_version=args.prompt)
    json.dump(result.to_dict(), sys.stdout, indent=None if args.compact else 2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _cmd_prompts(args: argparse.Namespace) -> int:
    from service.prompts import PromptRegistry

    settings = Settings()
    registry = PromptRegistry(settings.prompts_dir)
    for p in registry.all():
        default = " (default)" if p.version == settings.prompt_version else ""
        print(f"{p.version}{default}\t{p.hash}\t{p.strategy}\t{p.description.splitlines()[0]}")
    return 0


def _cmd_model(args: argparse.Namespace) -> int:
    from service.model_store import ModelUnavailable, ensure_model

    settings = Settings()
    try:
        path = ensure_model(settings.cache_dir)
    except ModelUnavailable as exc:
        raise BackendError(str(exc)) from exc
    print(path)
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opsum")
    except PackageNotFoundError:  # run from a checkout without installing
        return "unknown (not installed)"


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines) + "\n\nformats: docs/formats.md"


def _is_settings_error(exc: ValidationError) -> bool:
    """Did the error come from a settings class (OPSUM_* variables, flags), not from model output?"""
    from pydantic_settings import BaseSettings

    def subclasses(cls: type[object]) -> set[str]:
        return {n for sub in cls.__subclasses__() for n in {sub.__name__, *subclasses(sub)}}

    return exc.title in subclasses(BaseSettings)


def _brief(exc: ValidationError) -> str:
    """Field and error type of each error, without the input values (they may be article text)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['type']}" for e in exc.errors()[:3])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opsum",
        description="Turn news articles about law-enforcement operations into structured, grounded data.",
        epilog=_examples("opsum summarise golden/articles/mozaik-2023.txt", "opsum eval --help"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"opsum {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", required=True)
    _add = sub.add_parser

    def add_parser(name: str, **kwargs: object) -> argparse.ArgumentParser:
        kwargs.setdefault("parents", [common])
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        return _add(name, **kwargs)  # type: ignore[arg-type]

    sub.add_parser = add_parser  # type: ignore[method-assign]

    p = sub.add_parser(
        "summarise",
        aliases=["summarize"],
        help="summarise one article; prints {summary, meta} JSON",
        epilog=_examples(
            "opsum summarise golden/articles/mozaik-2023.txt",
            "curl -s https://example.org/story.txt | opsum summarise - --title 'Police raid' --compact",
        ),
    )
    p.add_argument("path", help="a UTF-8 text file, or - for standard input")
    p.add_argument("--prompt", help="prompt version (see `opsum prompts`)")
    p.add_argument("--title", help="the article's title, if it is not in the text")
    p.add_argument("--compact", action="store_true", help="one line of JSON")
    add_backend_options(p)
    p.set_defaults(func=_cmd_summarise)

    p = sub.add_parser("prompts", help="list prompt versions with their hashes", epilog=_examples("opsum prompts"))
    p.set_defaults(func=_cmd_prompts)

    p = sub.add_parser(
        "model",
        help="fetch, assemble and verify the embedded model; prints its path",
        epilog=_examples("opsum model"),
    )
    p.set_defaults(func=_cmd_model)

    for ep in entry_points(group="opsum.cli"):
        ep.load()(sub)
    return parser


def _configure_logging(level: int) -> None:
    """One line per record, redacted (service/logs.py); OPSUM_LOG_FORMAT=json for JSON lines."""
    from service.logs import configure_logging

    if logging.getLogger().handlers:  # like logging.basicConfig: an embedding program's handlers stay
        return
    try:
        fmt = Settings().log_format
    except ValidationError:  # the command reports the bad setting itself
        fmt = "text"
    configure_logging(level, fmt)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(getattr(args, "verbose", 0), 2)
    _configure_logging(level)
    try:
        return int(args.func(args) or 0)
    except (UnknownPromptVersion, InvalidArticle) as exc:
        print(f"opsum: error: {exc}", file=sys.stderr)
        return 2
    except BackendError as exc:
        print(f"opsum: backend error: {exc}", file=sys.stderr)
        return 3
    except OpsumError as exc:
        print(f"opsum: error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        if _is_settings_error(exc):  # a bad OPSUM_* variable
            err = exc.errors()[0]
            print(f"opsum: error: bad setting {'.'.join(map(str, err['loc']))}: {err['msg']}", file=sys.stderr)
            return 2
        # anything else that fails validation is the model's output, not the user's input
        print(f"opsum: backend error: the model's output does not fit {exc.title} ({_brief(exc)})", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
