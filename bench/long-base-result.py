"""One result file of the long bases (bench/long-base.md) from a probe's distribution.json and either the finished
base's stats.json (end point) or a checkpoint's state.json (a point on the way).
Usage: long-base-result.py OUT COMMAND MIX PROBE_DIR (--stats STATS_JSON | --state STATE_JSON TOKENS)"""
import json
import sys

out, command, mix, probe = sys.argv[1:5]
truth = {k: float(v) for k, v in (p.split("=") for p in mix.split(","))}
d = json.load(open(f"{probe}/distribution.json"))
ft = d["estimates"].get("first-token", {}).get("shares")
res = {"command": command, "mix": truth}
end = sys.argv[5] == "--stats"
if end:
    s = json.load(open(sys.argv[6]))
    res.update(tokens_trained=s["tokens_trained"], train_seconds=s["train_seconds"],
               heldout_loss_final=s["heldout_loss_final"])
else:
    st = json.load(open(sys.argv[6]))
    res.update(step=st["step"], tokens_at_step=round(st["step"] * int(sys.argv[7]) / st["total_steps"]))
res["labelled_share"] = d["trust"]["labelled_share"]
if end:
    res["bar_met"] = res["labelled_share"] >= 0.8
res["first_token_tv"] = ft and round(0.5 * sum(abs(ft[k] - truth[k]) for k in truth), 4)
# the labelled samples' own mix (classify and count), for the bar's "recognisably close to the training mix"
raw = d["estimates"]["raw"]["shares"]
res["labelled_mix"] = {k: round(raw[k], 4) for k in truth}
res["labelled_mix_tv"] = round(0.5 * sum(abs(raw[k] - truth[k]) for k in truth), 4)
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
