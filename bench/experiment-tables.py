#!/usr/bin/env python3
"""Markdown tables of a comparison's summary.json (what README and bench/experiment.md quote).
Usage: python3 bench/experiment-tables.py bench/results/comparison/summary.json"""
import json
import sys

s = json.load(open(sys.argv[1]))
iv = lambda m, f="{:+.3f}": f"{f.format(m['estimate'])} [{f.format(m['low'])}, {f.format(m['high'])}]"

print("| claim | seeds (A better) | score difference, 95% interval | verdict | mean NLL change difference | verdict |")
print("|---|---|---|---|---|---|")
for c in s["claims"] + s.get("sensitivity", []):
    print(f"| {c['claim']} | {c['seeds']} ({c['seeds_a_better']}) | {iv(c['score_difference'])} | {c['score_verdict']} "
          f"| {iv(c['nll_change_difference'], '{:+.4f}')} | {c['nll_verdict']} |")
print()
b = s["base"]
print(f"Base: comprehensive score {b['comprehensive_score']:.3f}, MC accuracy {b['mc_accuracy']:.3f} (chance {b['mc_chance']:.3f}).")
print()
domains = list(b["domain_score"].keys())
print("| strategy | score, mean of seeds [95% interval] | sd over seeds | mean NLL change | MC accuracy | "
      + " | ".join(domains) + " |")
print("|---|---|---|---|---|" + "---|" * len(domains))
for name, m in sorted(s["strategies"].items(), key=lambda kv: -kv[1]["comprehensive_score_mean"]):
    ci = m["comprehensive_score_interval"]
    print(f"| {name} | {m['comprehensive_score_mean']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}] | {m['comprehensive_score_std']:.3f} "
          f"| {m['mean_nll_change']:+.4f} | {m['mc_accuracy_mean']:.3f} | "
          + " | ".join(f"{m['domain_score_mean'][d]:.2f}" for d in domains) + " |")
e = s.get("expansion")
if e:
    print()
    print(f"Expansion (target {e['target']}):")
    print()
    print("| strategy | target score gain | other domains: sum of score drops | gain kept vs specific | verdict | reduction of degradation | verdict |")
    print("|---|---|---|---|---|---|---|")
    for k in ("specific", "uniform-rest", "versatune-expand"):
        m = e.get(k)
        if not m:
            continue
        kept = m.get("target_gain_kept_vs_specific")
        red = m.get("reduction_of_degradation_vs_specific")
        print(f"| {k} | {m['target_gain_mean']:+.3f} | {m['degradation_mean']:.3f} | "
              f"{iv(kept, '{:.3f}') if kept else ''} | {m.get('gain_kept_verdict', '')} | "
              f"{iv(red, '{:.3f}') if red else ''} | {m.get('reduction_verdict', '')} |")
