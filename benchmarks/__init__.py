"""The performance benchmark: what the product costs (cold start, cold sign-in on this machine
and modelled on Lambda's CPU, round trips, warm overhead, asset size, build and test time), held
to budgets, beside reference points measured in the same run, Authsignal's own Lambdas among them.
``scripts/benchmark`` runs it; ``benchmarks/RESULTS.md`` records the findings."""
