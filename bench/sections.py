#!/usr/bin/env python3
"""Cut a pretraining folder's documents into sections of bounded length, as web corpora's documents are (design:
bench/probe.md, fourth round). Input and output: <domain>.txt.gz, documents separated by one blank line, paragraphs
by single newlines (MANIFEST.md's format). A section is a run of whole paragraphs of at most CAP characters; a longer
paragraph is cut at its last space before the cap (at the cap where there is none). Deterministic: gzip with mtime 0.

Usage: bench/sections.py INPUT_DIR OUTPUT_DIR [CAP]   (CAP: 800 characters, about 500 tokens of the bases' tokenizer)
"""
import gzip
import os
import sys


def sections(doc, cap):
    out, cur = [], ""
    for para in doc.split("\n"):
        while len(para) > cap:
            cut = para.rfind(" ", 0, cap)
            cut = cap if cut <= 0 else cut
            if cur:
                out.append(cur)
                cur = ""
            out.append(para[:cut])
            para = para[cut:].lstrip(" ")
        if not para.strip():
            continue
        if cur and len(cur) + 1 + len(para) > cap:
            out.append(cur)
            cur = para
        else:
            cur = para if not cur else cur + "\n" + para
    if cur:
        out.append(cur)
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    cap = int(sys.argv[3]) if len(sys.argv) > 3 else 800
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.endswith(".txt.gz"):
            continue
        with gzip.open(os.path.join(src, name), "rt", encoding="utf-8") as f:
            docs = [d for d in f.read().split("\n\n") if d.strip()]
        secs = [s for d in docs for s in sections(d, cap)]
        assert all(0 < len(s) <= cap and "\n\n" not in s for s in secs), name
        tmp = os.path.join(dst, name + ".tmp")
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as z:
            z.write("\n\n".join(secs).encode("utf-8") + b"\n")
        os.replace(tmp, os.path.join(dst, name))
        print(f"{name}: {len(docs)} documents -> {len(secs)} sections of at most {cap} characters", file=sys.stderr)


if __name__ == "__main__":
    main()
