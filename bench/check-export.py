#!/usr/bin/env python3
"""Reads a mixture export back with parsers independent of the writer and checks its counts against the compose
manifest: llama-factory (json), jsonl (json, line by line), hf-parquet (pyarrow when installed, e.g. Debian's
python3-pyarrow; otherwise only the card is checked and the Parquet check is left to the Java test, which reads it
with Spark). Usage: bench/check-export.py EXPORT_DIR FORMAT COMPOSE_DIR   -> prints one JSON line, exits 1 on a mismatch
"""
import collections, json, os, sys

export, fmt, composed = sys.argv[1:4]
manifest = json.load(open(os.path.join(composed, "manifest.json")))
expected = {d: v["realised"] for d, v in manifest["domains"].items()}
found, notes = collections.Counter(), []
if fmt == "llama-factory":
    info = json.load(open(os.path.join(export, "dataset_info.json")))
    for name, entry in info.items():
        rows = json.load(open(os.path.join(export, entry["file_name"])))
        assert all(set(r) == {"instruction", "input", "output"} for r in rows), f"{entry['file_name']}: not Alpaca records"
        found[name[len("versatune_"):]] += len(rows)
    lines = dict(l.split(": ", 1) for l in open(os.path.join(export, "mixture.yaml")).read().splitlines())
    probs = [float(p) for p in lines["interleave_probs"].split(",")]
    assert abs(sum(probs) - 1) < 1e-4, f"interleave_probs sum to {sum(probs)}"
    assert len(probs) == len(lines["dataset"].split(",")), "one probability per dataset"
elif fmt == "jsonl":
    for line in open(os.path.join(export, "mixture.jsonl"), encoding="utf-8"):
        r = json.loads(line)
        assert [m["role"] for m in r["messages"]] == ["user", "assistant"], f"record {r['id']}: not a user/assistant pair"
        found[r["domain"]] += 1
elif fmt == "hf-parquet":
    card = open(os.path.join(export, "README.md")).read()
    for d, n in expected.items():
        assert f"| {d} | {n} |" in card, f"the card lacks the count of {d}"
    try:
        import pyarrow.parquet as pq
        data = os.path.join(export, "data")
        for f in sorted(os.listdir(data)):
            t = pq.read_table(os.path.join(data, f))
            found.update(t.column("domain").to_pylist())
    except ImportError:
        found.update(expected)
        notes.append("pyarrow not installed: Parquet rows not counted here (the card was)")
else:
    sys.exit(f"unknown format {fmt}")
ok = {d: n for d, n in expected.items() if n} == {d: n for d, n in found.items() if n}
print(json.dumps({"export": export, "format": fmt, "expected": expected, "found": dict(found), "ok": ok, "notes": notes}))
sys.exit(0 if ok else 1)
