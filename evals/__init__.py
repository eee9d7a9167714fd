"""opsum's eval harness: golden files, SPEC §4 scoring, runs, comparison, gate and response cache.

It depends on `service`, never the reverse; its CLI joins `opsum` through the `opsum.cli` entry point.

    from evals.golden import load_golden
    from evals.scoring import score_article
    from evals.metrics import summarise_scores
"""
