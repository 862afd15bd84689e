#!/usr/bin/env python3
"""Cut the bundled sample from the full domain data set (the layout its MANIFEST.md describes).

Deterministic: records are ranked by sha256 of their id (documents by sha256 of their text), so
re-running on the same data writes byte-identical files (gzip mtime 0). Usage:
    python3 samples/make_sample.py DATA_DIR samples/
"""
import gzip, hashlib, json, os, sys
from collections import Counter

DOMAINS = ["law", "medicine", "finance", "science", "code", "general"]
SFT_PER_DOMAIN = 320          # records
SFT_MAX_CHARS = 3000          # keep the sample small: skip very long records
TEXT_BYTES_PER_DOMAIN = 170_000
TEXT_MAX_DOC_CHARS = 12_000
MC_PER_DOMAIN = 80


def rank(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def write_gz(path, text):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(text.encode("utf-8"))


def jsonl(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(data, out):
    sources = Counter()
    for sub in ("sft", "pretrain", "eval"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    for d in DOMAINS:
        recs = [r for r in jsonl(os.path.join(data, "sft", f"{d}.jsonl.gz"))
                if len(r["instruction"]) + len(r["input"]) + len(r["output"]) <= SFT_MAX_CHARS]
        recs = sorted(recs, key=lambda r: rank(r["id"]))[:SFT_PER_DOMAIN]
        recs.sort(key=lambda r: r["id"])
        write_gz(os.path.join(out, "sft", f"{d}.jsonl.gz"),
                 "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs))
        sources.update(("sft", d, r["source"].split("/")[0]) for r in recs)

        with gzip.open(os.path.join(data, "pretrain", f"{d}.txt.gz"), "rt", encoding="utf-8") as f:
            docs = [doc for doc in f.read().split("\n\n") if doc.strip() and len(doc) <= TEXT_MAX_DOC_CHARS]
        picked, size = [], 0
        for doc in sorted(docs, key=rank):
            if size >= TEXT_BYTES_PER_DOMAIN:
                break
            picked.append(doc)
            size += len(doc.encode("utf-8"))
        write_gz(os.path.join(out, "pretrain", f"{d}.txt.gz"), "\n\n".join(picked) + "\n")
        sources.update([("pretrain", d, f"{len(picked)} documents")])

        items = sorted(jsonl(os.path.join(data, "eval", f"{d}_mc.jsonl.gz")), key=lambda r: rank(r["id"]))[:MC_PER_DOMAIN]
        items.sort(key=lambda r: r["id"])
        write_gz(os.path.join(out, "eval", f"{d}_mc.jsonl.gz"),
                 "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items))
        sources.update(("eval", d, r["source"].split("/")[0]) for r in items)
    for (kind, d, src), n in sorted(sources.items()):
        print(f"{kind}\t{d}\t{src}\t{n}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
