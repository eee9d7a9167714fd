# The two commands of the README:
#   make demo   install what is needed, then summarise the seed article on the embedded model
#   make test   install what is needed (test tools too), then run the whole test suite and the
#               replayed golden evaluation gated against the committed baseline
.PHONY: demo test pytest gate record-baseline

demo:
	scripts/bootstrap.sh
	.venv/bin/opsum summarise golden/articles/mozaik-2023.txt

test:
	scripts/bootstrap.sh dev
	$(MAKE) --no-print-directory pytest gate

pytest:
	.venv/bin/python -m pytest -q

# Replays the committed responses of the default prompt over golden/ (no model call, seconds)
# and fails if any metric drops more than 0.02 below evals/baseline.json.
gate:
	rm -rf runs/ci
	.venv/bin/opsum eval run --golden golden/golden.jsonl --cache-dir golden/cache --replay-only --quiet --out runs/ci
	.venv/bin/opsum eval gate runs/ci --baseline evals/baseline.json --max-drop 0.02

# After a deliberate prompt or model change: re-run the default prompt live, refresh the
# committed responses and the baseline. Review the compare report before committing them.
record-baseline:
	rm -rf golden/cache runs/baseline
	.venv/bin/opsum eval run --golden golden/golden.jsonl --cache-dir golden/cache --out runs/baseline
	cp runs/baseline/summary.json evals/baseline.json
