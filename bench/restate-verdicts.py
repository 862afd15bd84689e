#!/usr/bin/env python3
"""Re-states the recorded comparison's verdicts (bench/results/comparison/summary.json, items-only intervals) under
the interval over items and seeds (docs/method.md section 5), from what that summary committed: the per-seed scores
and the items-only 95% percentile interval. The recorded comparison did not commit its per-item scores, so the items'
variance is read back from that interval as ((high - low) / (2 * 1.96))^2 (a normal approximation, labelled as such);
results made since keep their per-item scores and `versatune report` recomputes the exact interval.
Usage: python3 bench/restate-verdicts.py bench/results/comparison/summary.json > OUT.json"""
import json
import math
import sys

# Student's t, 0.975 quantile, by degrees of freedom (the seed counts used here)
T975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 5: 2.570582}


def verdict(low, high, higher_is_better):
    above, below = low > 0, high < 0
    if not higher_is_better:
        above, below = below, above
    return "better" if above else "worse" if below else "no detectable difference"


def restate(summary):
    strategies = summary["strategies"]
    out = []
    for c in summary["claims"] + summary.get("sensitivity", []):
        a, b = strategies[c["a"]], strategies[c["b"]]
        row = {"claim": c["claim"]}
        for metric, key, by_seed, higher in (("score", "score_difference", "comprehensive_score_by_seed", True),
                                             ("nll_change", "nll_change_difference", "mean_nll_change_by_seed", False)):
            seeds = sorted(set(a[by_seed]) & set(b[by_seed]))
            d = [a[by_seed][s] - b[by_seed][s] for s in seeds]
            n = len(d)
            mean = sum(d) / n
            sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else 0.0
            old = c[key]
            v_items = ((old["high"] - old["low"]) / (2 * 1.959964)) ** 2
            half = T975[n - 1] * math.sqrt(v_items + sd ** 2 / n)
            row[metric] = {"per_seed": d, "seed_sd": sd, "estimate": mean,
                           "items_only": {"low": old["low"], "high": old["high"], "verdict": verdict(old["low"], old["high"], higher)},
                           "seeds_and_items": {"low": mean - half, "high": mean + half,
                                               "verdict": verdict(mean - half, mean + half, higher)}}
        out.append(row)
    return {"source": "bench/results/comparison/summary.json",
            "rule": "mean +- t(0.975, n-1) * sqrt(v_items + s^2/n); v_items from the recorded items-only interval "
                    "(normal approximation), s the sd of the per-seed differences",
            "claims": out}


if __name__ == "__main__":
    json.dump(restate(json.load(open(sys.argv[1]))), sys.stdout, indent=2)
    print()
