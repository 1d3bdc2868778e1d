"""The matching engine at scale: time, memory and how close to the best possible.

    .venv/bin/python -m bench.matching                       # N = 1,000, 3,000 and 10,000
    .venv/bin/python -m bench.matching --sizes 10000 --seed 2 --repeat 5

Seeded synthetic communities (``bench/matching_community.py``: skewed topic popularity, a
dominant language and regional ones, clustered time zones worldwide with half-hour ones,
availability windows, about five past partners each). Each size runs in its own process, so
its peak memory is its own. Per size:

* time to score (encoding the members and both candidate scans over all pairs) and time to
  match (the LP solves, duals, rounding, leftovers), best of ``--repeat`` runs with the spread;
  the same for the whole of ``propose`` once (it also writes every pair's reasons);
* peak resident memory of the process after the timed runs (before any reference is computed);
* members matched, total score;
* the total score as a ratio to (a) an upper bound on the optimum over ALL allowed pairs, proven
  by dual pricing, (b) the exact optimum where rustworkx finishes (up to ``--exact-up-to``),
  (c) greedy by descending score over all allowed pairs.

Targets (issue 10): N = 10,000 scored and matched in ≤ 2 s with ≤ 500 MB; ≥ 99.9 % of the upper
bound at N = 3,000 and 10,000.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from typing import Any

from bench import matching_reference
from bench.matching_community import synthetic_community
from bench.report import print_figures
from bot.matching import propose
from bot.matching.encode import encode
from bot.matching.pairing import pair_up

WEEK = date(2025, 3, 10)  # the US has changed its clocks, Europe has not
SCORE_STAGES = ("encode", "score_first", "score_priced")
MATCH_STAGES = ("solve_first", "solve_final", "leftovers")


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _timed_run(people, seed: int):
    stages: dict[str, float] = {}
    started = time.perf_counter()
    enc = encode(people, week_start=WEEK, seed=seed)
    stages["encode"] = time.perf_counter() - started
    pairing = pair_up(enc, seed=seed, stages=stages)
    return enc, pairing, stages


def one_size(size: int, seed: int, repeat: int, exact_up_to: int) -> dict[str, Any]:
    people = synthetic_community(size, seed)
    rss_before = _peak_rss_mb()
    runs = [_timed_run(people, seed) for _ in range(repeat)]
    rss_after = _peak_rss_mb()
    score_times = [sum(stages[s] for s in SCORE_STAGES) for _, _, stages in runs]
    match_times = [sum(stages[s] for s in MATCH_STAGES) for _, _, stages in runs]
    totals = [a + b for a, b in zip(score_times, match_times, strict=True)]
    fastest = totals.index(min(totals))
    started = time.perf_counter()
    proposal = propose(people, week_start=WEEK, seed=seed)
    propose_seconds = time.perf_counter() - started

    enc, pairing, _ = runs[0]
    weight = sum(pairing.scores)
    bound = matching_reference.upper_bound(enc)
    figures: dict[str, Any] = {
        "members": size,
        "seed": seed,
        "score_s": round(score_times[fastest], 3),
        "match_s": round(match_times[fastest], 3),
        "total_s_best": round(totals[fastest], 3),
        "total_s_spread": [round(min(totals), 3), round(max(totals), 3)],
        "runs": repeat,
        "propose_s_with_reasons": round(propose_seconds, 3),
        "peak_rss_mb": rss_after,
        "rss_mb_before_scoring": rss_before,
        "matched": 2 * len(pairing.pairs),
        "sit_out": size - 2 * len(pairing.pairs),
        "weight": weight,
        "upper_bound_all_pairs": round(bound["bound"], 1),
        "ratio_to_upper_bound": round(weight / bound["bound"], 5),
        "pricing_rounds_for_bound": bound["pricing_rounds"],
    }
    assert len(proposal.pairs) == len(pairing.pairs)
    allowed = matching_reference.all_allowed_pairs(enc)
    figures["allowed_pairs"] = len(allowed[0])
    figures["allowed_share"] = round(len(allowed[0]) / (size * (size - 1) / 2), 3)
    if size <= exact_up_to:
        started = time.perf_counter()
        optimum, optimum_pairs = matching_reference.exact_optimum(enc, allowed)
        figures["exact_optimum"] = optimum
        figures["exact_matched"] = 2 * optimum_pairs
        figures["ratio_to_exact"] = round(weight / optimum, 5)
        figures["exact_s"] = round(time.perf_counter() - started, 1)
    greedy, greedy_pairs = matching_reference.greedy_weight(enc, allowed)
    figures["greedy_weight"] = greedy
    figures["greedy_matched"] = 2 * greedy_pairs
    figures["ratio_to_greedy"] = round(weight / greedy, 4)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,3000,10000", help="comma-separated N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size")
    parser.add_argument("--exact-up-to", type=int, default=3000, help="largest N for rustworkx")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.seed, args.repeat, args.exact_up_to)))
        return
    figures: dict[str, Any] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.matching",
                f"--one={size}",
                f"--seed={args.seed}",
                f"--repeat={args.repeat}",
                f"--exact-up-to={args.exact_up_to}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        for key, value in json.loads(child.stdout.strip().splitlines()[-1]).items():
            figures[f"n{size}_{key}"] = value
    print_figures(figures)


if __name__ == "__main__":
    main()
