"""One result file of the long bases (bench/long-base.md) from a probe's distribution.json and either the finished
base's stats.json (end point), a checkpoint's state.json (a point on the way), or the real windows' shape (the
ceiling control, bench/real-windows.sh).
Usage: long-base-result.py OUT COMMAND MIX PROBE_DIR
         (--stats STATS_JSON | --state STATE_JSON TOKENS | --windows WINDOW_TOKENS MAX_TOKENS)"""
import json
import math
import sys

out, command, mix, probe, mode = sys.argv[1:6]
truth = {k: float(v) for k, v in (p.split("=") for p in mix.split(","))}
d = json.load(open(f"{probe}/distribution.json"))


def tv(shares):
    return round(0.5 * sum(abs(shares[k] - truth[k]) for k in truth), 4)


res = {"command": command, "mix": truth}
share = d["trust"]["labelled_share"]
if mode == "--stats":
    s = json.load(open(sys.argv[6]))
    res.update(tokens_trained=s["tokens_trained"], train_seconds=s["train_seconds"],
               heldout_loss_final=s["heldout_loss_final"], labelled_share=share, bar_met=share >= 0.8)
elif mode == "--state":
    st = json.load(open(sys.argv[6]))
    res.update(step=st["step"], tokens_at_step=round(st["step"] * int(sys.argv[7]) / st["total_steps"]),
               labelled_share=share)
else:
    half = 1.96 * math.sqrt(share * (1 - share) / d["samples"])
    res.update(windows=d["samples"], window_tokens=int(sys.argv[6]), max_tokens=int(sys.argv[7]), labelled_share=share,
               labelled_share_interval=[round(share - half, 4), round(share + half, 4)])
if mode != "--windows":
    ft = d["estimates"].get("first-token", {}).get("shares")
    res["first_token_tv"] = ft and tv(ft)
# the labelled samples' own mix (classify and count), for the bar's "recognisably close to the training mix"
raw = d["estimates"]["raw"]["shares"]
res["labelled_mix"] = {k: round(raw[k], 4) for k in truth}
res["labelled_mix_tv"] = tv(raw)
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
