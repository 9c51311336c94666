"""The performance benchmark: what the product costs (cold start, round trips, warm overhead,
asset size, build and test time), held to budgets, beside reference points measured in the
same run. ``scripts/benchmark`` runs it; ``benchmarks/RESULTS.md`` records the findings."""
