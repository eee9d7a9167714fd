# The two commands of the README:
#   make demo   install what is needed, then summarise the seed article on the embedded model
#   make test   install what is needed (test tools too), then lint (ruff, mypy, import contracts),
#               run the whole test suite and the replayed golden evaluation gated against the baseline
.PHONY: demo test lint pytest gate record record-baseline

demo:
	scripts/bootstrap.sh
	.venv/bin/opsum summarise golden/articles/mozaik-2023.txt

test:
	scripts/bootstrap.sh dev
	$(MAKE) --no-print-directory lint pytest gate

# The habits, enforced: ruff (lint, format, complexity), mypy (strict for the core), import-linter
# contracts (.importlinter: the schema imports nothing of ours; the core never imports the faces or
# the harness; backends never import prompts or strategies).
lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-cache

pytest:
	.venv/bin/python -m pytest -q

PROMPT ?= v2-mined-mentions
SPLIT ?= all
# The splits the baseline covers (the ones whose responses are recorded): one of them, or all.
GATE_SPLIT = $(shell .venv/bin/python -c "import json; s = list(json.load(open('evals/baseline.json')).get('splits') or {}); print(s[0] if len(s) == 1 else 'all')")

# Replays the committed responses of the default prompt over every golden split the baseline covers
# (no model call, seconds) and gates the run against evals/baseline.json: exit 1 if any rate drops
# more than 0.02, if hallucinated or missed numbers rise, or if the golden articles or the prompt hash
# differ from the baseline's; exit 2 on a replay miss. JUnit and Markdown land in runs/ci/.
gate:
	rm -rf runs/ci
	.venv/bin/opsum eval run --golden golden/golden.jsonl --cache-dir golden/cache --replay-only --quiet --split $(GATE_SPLIT) --out runs/ci
	.venv/bin/opsum eval gate runs/ci --baseline evals/baseline.json --max-drop 0.02 --junit runs/ci/gate.xml --summary-md runs/ci/gate.md

# Records the responses of one prompt version into golden/cache (live model calls; commit them after).
# Resumable: the run folder and the cache keep what is done, so a rerun only makes the missing calls.
#   make record PROMPT=v1-schema-fill            every split
#   make record PROMPT=v2-mined-mentions SPLIT=test
record:
	.venv/bin/opsum eval run --golden golden/golden.jsonl --prompt $(PROMPT) --cache-dir golden/cache --split $(SPLIT) --out runs/record-$(PROMPT)

# After a deliberate prompt or model change: re-run the default prompt live (every call, --refresh),
# refresh its committed responses and the baseline. Review the compare report before committing them.
record-baseline:
	rm -rf runs/baseline
	.venv/bin/opsum eval run --golden golden/golden.jsonl --cache-dir golden/cache --refresh --out runs/baseline
	cp runs/baseline/summary.json evals/baseline.json
