#!/usr/bin/env python3
"""Independent reference for importing Hugging Face checkpoints: plain PyTorch GPT-2 and Llama models and a plain
byte-level BPE encoder, written from the published definitions (Radford et al. 2019, "Language Models are
Unsupervised Multitask Learners", and its released encoder; Touvron et al. 2023, "LLaMA", with rotary embeddings
(Su et al. 2021), SwiGLU (Shazeer 2020) and grouped-query attention (Ainslie et al. 2023)), not from VersaTune's
code.

Writes a small random model of each family in the Hugging Face layout (config.json, model.safetensors,
tokenizer.json) under OUTPUT_DIR/hf-gpt2 and OUTPUT_DIR/hf-llama, with what the reference computes from it
(reference.json: token ids of varied texts, greedy continuations; reference.safetensors: the logits at every
position of each prompt). The Java test HfCheckpointTest imports each folder and must agree to 1e-4. Needs
Debian's python3-torch, python3-numpy and python3-regex.

Usage: python3 hf_reference.py OUTPUT_DIR
       python3 hf_reference.py --gpt2-124m OUTPUT_DIR   (a random GPT-2-124M-shaped folder, for bench/hf-import.sh)
       python3 hf_reference.py --check HF_DIR TEXTS.jsonl SCORES.json
           (reads any GPT-2 or Llama folder, e.g. one `versatune export` wrote, and compares its own token ids, mean
           NLL and last-position top-5 logits with what `versatune score` wrote for the same texts; exit 1 on a
           difference beyond 1e-4)
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import regex
import torch

GPT2_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
N_MERGES = 200
CORPUS = [
    "The court held that the contract was void because the parties had not agreed on the price.",
    "Patients with chronic kidney disease were given a lower dose of the drug for twelve weeks.",
    "Quarterly revenue rose 12% to $4.5 billion, while operating margins fell to 18.2 percent.",
    "The electrons in the outer shell determine how the atom bonds with its neighbours.",
    "def add(a, b):\n    return a + b\n\nfor i in range(10):\n    print(add(i, i * 2))\n",
    "int main(void) {\n\tprintf(\"hello, world\\n\");\n\treturn 0;\n}\n",
    "It's the committee's view that they'll decide what we've said and what you'd do.",
    "Zürich, São Paulo, Kraków and Ōsaka host the meetings; ναι, да, 是的, はい.",
    "   Indented   text  with   runs of    spaces\n\n\nand blank lines\t\ttabs.",
]
TEXTS = [
    "The patient's blood pressure was 120/80 mmHg.",
    "  leading spaces, trailing spaces   ",
    "naïve café — déjà vu; 東京 and Ελληνικά text ✓ 🙂",
    "if (x >= 10) {\n    y = x ** 2;  // square\n}\n",
    "Numbers: 3.14159, 1e-9, 1,000,000 and 42nd.",
    "\n\n\t mixed \r\n whitespace \u00a0 and \u3000 ideographic",
    "they're we'll I'd you've she's it'd",
    "",
]
PROMPTS = ["The court held that", "def add(a, b):", "Quarterly revenue rose"]
GREEDY_TOKENS = 32


def bytes_to_unicode():
    """GPT-2's table: printable Latin-1 bytes map to themselves, the others to U+0100 onwards, in byte order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


B2U = bytes_to_unicode()


def pretokens(text, split):
    return ["".join(B2U[b] for b in w.encode("utf-8")) for w in regex.findall(split, text)]


def train_bpe(corpus, n_merges, split):
    """Most frequent adjacent pair first; ties to the lexicographically smallest pair."""
    words = {}
    for t in corpus:
        for w in pretokens(t, split):
            words[tuple(w)] = words.get(tuple(w), 0) + 1
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return merges


def encode(text, vocab, ranks, split, ignore_merges=False):
    """The released encoder's rule: merge the lowest-ranked adjacent pair until none is left (a word that is a
    token of its own is taken whole first when ignore_merges is set, as Llama 3's tokenizer does)."""
    ids = []
    for w in pretokens(text, split):
        if ignore_merges and w in vocab:
            ids.append(vocab[w])
            continue
        parts = list(w)
        while len(parts) > 1:
            cands = [(ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            r, at = min(cands)
            if r == math.inf:
                break
            a, b = parts[at], parts[at + 1]
            out, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        ids.extend(vocab[p] for p in parts)
    return ids


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACTIVATIONS = {"gelu_new": gelu_new, "gelu_pytorch_tanh": gelu_new, "relu": torch.relu,
               "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x)}


def gpt2_logits(w, cfg, ids):
    """GPT-2's forward pass: pre-LN blocks, Conv1D weights stored [in, out], tied head."""
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    dh = d // heads
    t = len(ids)
    x = w["wte.weight"][ids] + w["wpe.weight"][:t]
    mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
    for l in range(cfg["n_layer"]):
        p = lambda n: w[f"h.{l}.{n}"]
        h = torch.nn.functional.layer_norm(x, (d,), p("ln_1.weight"), p("ln_1.bias"), eps)
        q, k, v = (h @ p("attn.c_attn.weight") + p("attn.c_attn.bias")).split(d, dim=1)
        q, k, v = (m.view(t, heads, dh).transpose(0, 1) for m in (q, k, v))
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dh) + mask, dim=-1) @ v
        x = x + att.transpose(0, 1).reshape(t, d) @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        h = torch.nn.functional.layer_norm(x, (d,), p("ln_2.weight"), p("ln_2.bias"), eps)
        act = ACTIVATIONS[cfg.get("activation_function", "gelu_new")]
        x = x + act(h @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias")) @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    x = torch.nn.functional.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].T


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def llama_logits(w, cfg, ids):
    """Llama's forward pass: RMSNorm, rotary positions on queries and keys, grouped-query attention, SwiGLU,
    torch Linear weights stored [out, in], an untied head."""
    d, heads, kv, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    dh = d // heads
    t = len(ids)
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, dh, 2).float() / dh))
    freqs = torch.outer(torch.arange(t).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
    x = w["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = lambda n: w[f"model.layers.{l}.{n}"]
        h = rms_norm(x, p("input_layernorm.weight"), eps)
        q = (h @ p("self_attn.q_proj.weight").T).view(t, heads, dh).transpose(0, 1)
        k = (h @ p("self_attn.k_proj.weight").T).view(t, kv, dh).transpose(0, 1)
        v = (h @ p("self_attn.v_proj.weight").T).view(t, kv, dh).transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(heads // kv, dim=0), v.repeat_interleave(heads // kv, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dh) + mask, dim=-1) @ v
        x = x + att.transpose(0, 1).reshape(t, d) @ p("self_attn.o_proj.weight").T
        h = rms_norm(x, p("post_attention_layernorm.weight"), eps)
        gate = torch.nn.functional.silu(h @ p("mlp.gate_proj.weight").T)
        x = x + (gate * (h @ p("mlp.up_proj.weight").T)) @ p("mlp.down_proj.weight").T
    return rms_norm(x, w["model.norm.weight"], eps) @ w["lm_head.weight"].T


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().numpy().astype("<f4"))
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def tokenizer_json(vocab, merges, specials, pre_tokenizer, ignore_merges):
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for c, i in specials],
        "normalizer": None,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": ignore_merges,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }


def bpe_vocab(split):
    merges = train_bpe(CORPUS, N_MERGES, split)
    order = [B2U[b] for b in sorted(range(256), key=lambda b: ord(B2U[b]))]   # GPT-2's id order of the bytes
    vocab = {tok: i for i, tok in enumerate(order)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab, merges


def gpt2_model(g):
    vocab, merges = bpe_vocab(GPT2_SPLIT)
    eot = len(vocab)
    vocab["<|endoftext|>"] = eot
    pre = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = tokenizer_json(vocab, merges, [("<|endoftext|>", eot)], pre, False)
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": len(vocab), "n_positions": 64,
           "n_ctx": 64, "n_embd": 64, "n_layer": 2, "n_head": 4, "n_inner": None, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "bos_token_id": eot, "eos_token_id": eot, "tie_word_embeddings": True}
    rnd = lambda *shape, std: torch.randn(*shape, generator=g) * std
    d, v, hid = cfg["n_embd"], cfg["vocab_size"], 4 * cfg["n_embd"]
    w = {"wte.weight": rnd(v, d, std=0.5), "wpe.weight": rnd(cfg["n_positions"], d, std=0.1),
         "ln_f.weight": 1 + rnd(d, std=0.1), "ln_f.bias": rnd(d, std=0.1)}
    for l in range(cfg["n_layer"]):
        for n, shape, std in [("ln_1.weight", (d,), 0.1), ("ln_1.bias", (d,), 0.1), ("attn.c_attn.weight", (d, 3 * d), 0.2),
                              ("attn.c_attn.bias", (3 * d,), 0.1), ("attn.c_proj.weight", (d, d), 0.1),
                              ("attn.c_proj.bias", (d,), 0.1), ("ln_2.weight", (d,), 0.1), ("ln_2.bias", (d,), 0.1),
                              ("mlp.c_fc.weight", (d, hid), 0.2), ("mlp.c_fc.bias", (hid,), 0.1),
                              ("mlp.c_proj.weight", (hid, d), 0.1), ("mlp.c_proj.bias", (d,), 0.1)]:
            w[f"h.{l}.{n}"] = rnd(*shape, std=std) + (1 if n in ("ln_1.weight", "ln_2.weight") else 0)
    saved = {"transformer." + k: t for k, t in w.items()}
    return cfg, tokenizer, w, saved, vocab, merges, GPT2_SPLIT, False, eot, eot, gpt2_logits


def llama_model(g):
    vocab, merges = bpe_vocab(LLAMA3_SPLIT)
    bos, eos = len(vocab), len(vocab) + 1
    vocab["<|begin_of_text|>"] = bos
    vocab["<|end_of_text|>"] = eos
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    tokenizer = tokenizer_json(vocab, merges, [("<|begin_of_text|>", bos), ("<|end_of_text|>", eos)], pre, True)
    cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": len(vocab), "hidden_size": 64,
           "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
           "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": None,
           "hidden_act": "silu", "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False,
           "bos_token_id": bos, "eos_token_id": eos}
    rnd = lambda *shape, std: torch.randn(*shape, generator=g) * std
    d, v, hid, kvd = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"], 2 * 16
    w = {"model.embed_tokens.weight": rnd(v, d, std=0.5), "model.norm.weight": 1 + rnd(d, std=0.1),
         "lm_head.weight": rnd(v, d, std=0.3)}
    for l in range(cfg["num_hidden_layers"]):
        for n, shape, std in [("input_layernorm.weight", (d,), 0.1), ("self_attn.q_proj.weight", (d, d), 0.2),
                              ("self_attn.k_proj.weight", (kvd, d), 0.2), ("self_attn.v_proj.weight", (kvd, d), 0.2),
                              ("self_attn.o_proj.weight", (d, d), 0.1), ("post_attention_layernorm.weight", (d,), 0.1),
                              ("mlp.gate_proj.weight", (hid, d), 0.2), ("mlp.up_proj.weight", (hid, d), 0.2),
                              ("mlp.down_proj.weight", (d, hid), 0.1)]:
            w[f"model.layers.{l}.{n}"] = rnd(*shape, std=std) + (1 if n.endswith("layernorm.weight") else 0)
    return cfg, tokenizer, w, w, vocab, merges, LLAMA3_SPLIT, True, bos, eos, llama_logits


def write_model(out, family):
    out.mkdir(parents=True, exist_ok=True)
    cfg, tokenizer, w, saved, vocab, merges, split, ignore, bos, eos, logits_of = family
    write_safetensors(out / "model.safetensors", saved)
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1))
    ranks = {m: i for i, m in enumerate(merges)}
    inverse = {i: s for s, i in vocab.items()}
    u2b = {c: b for b, c in B2U.items()}
    ref = {"texts": [], "prompts": []}
    for t in TEXTS:
        ids = encode(t, vocab, ranks, split, ignore)
        assert bytes(u2b[c] for i in ids for c in inverse[i]).decode("utf-8") == t
        ref["texts"].append({"text": t, "ids": ids})
    logits = {}
    with torch.no_grad():
        for k, p in enumerate(PROMPTS):
            ids = encode(p, vocab, ranks, split, ignore)
            logits[f"logits.{k}"] = logits_of(w, cfg, ids)
            seq, gen = [bos] + ids, []
            for _ in range(GREEDY_TOKENS):
                nxt = int(torch.argmax(logits_of(w, cfg, seq)[-1]))
                if nxt == eos:
                    break
                gen.append(nxt)
                seq.append(nxt)
            ref["prompts"].append({"text": p, "ids": ids, "greedy": gen})
    write_safetensors(out / "reference.safetensors", logits)
    ref["torch"] = torch.__version__
    (out / "reference.json").write_text(json.dumps(ref, ensure_ascii=False, indent=1))


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", t["dtype"]
        a, b = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").copy()).reshape(t["shape"])
    return out


def check(folder, texts_path, scores_path):
    """An exported folder read with nothing but this file, against `versatune score`."""
    folder = Path(folder)
    cfg = json.loads((folder / "config.json").read_text())
    tok = json.loads((folder / "tokenizer.json").read_text())
    w = read_safetensors(folder / "model.safetensors")
    pre = tok["pre_tokenizer"]
    split = GPT2_SPLIT if pre["type"] == "ByteLevel" else pre["pretokenizers"][0]["pattern"]["Regex"]
    vocab = tok["model"]["vocab"]
    ranks = {tuple(m.split(" ")) if isinstance(m, str) else tuple(m): i for i, m in enumerate(tok["model"]["merges"])}
    if cfg["model_type"] == "gpt2":
        w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
        logits_of = gpt2_logits
    else:
        w.setdefault("lm_head.weight", w["model.embed_tokens.weight"])
        logits_of = llama_logits
    texts = [json.loads(l) for l in open(texts_path) if l.strip()]
    scores = {r["id"]: r for r in json.load(open(scores_path))}
    worst, worst_nll, mismatched = 0.0, 0.0, 0
    with torch.no_grad():
        for t in texts:
            ids = encode(t["text"], vocab, ranks, split, tok["model"].get("ignore_merges", False))
            ours = scores[t["id"]]
            if ours.get("truncated"):
                ids = ids[:len(ours["tokens"])]   # score cuts a text to the model's context
            if ids != ours["tokens"]:
                mismatched += 1
                continue
            logits = logits_of(w, cfg, ids)
            logp = torch.log_softmax(logits.double(), dim=-1)
            nll = -sum(float(logp[i, ids[i + 1]]) for i in range(len(ids) - 1)) / max(1, len(ids) - 1)
            worst_nll = max(worst_nll, abs(nll - ours["mean_nll"]))
            last = logits[-1]
            worst = max(worst, max(abs(float(last[i]) - v) for i, v in zip(ours["top5_ids"], ours["top5_logits"])))
    result = {"texts": len(texts), "token_id_mismatches": mismatched, "max_abs_top5_logit_difference": worst,
              "max_abs_mean_nll_difference": worst_nll, "torch": torch.__version__}
    print(json.dumps(result))
    return mismatched == 0 and worst < 1e-4 and worst_nll < 1e-4


def gpt2_124m(out):
    """GPT-2 small's shape (12 layers, d 768, 12 heads, 1024 positions, 50257 ids) with N(0, 0.02) weights."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(124)
    cfg, tokenizer = gpt2_model(g)[:2]
    cfg.update({"vocab_size": 50257, "n_positions": 1024, "n_ctx": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12})
    d, v = cfg["n_embd"], cfg["vocab_size"]
    shapes = {"wte.weight": (v, d), "wpe.weight": (1024, d), "ln_f.weight": (d,), "ln_f.bias": (d,)}
    for l in range(12):
        shapes.update({f"h.{l}.ln_1.weight": (d,), f"h.{l}.ln_1.bias": (d,), f"h.{l}.attn.c_attn.weight": (d, 3 * d),
                       f"h.{l}.attn.c_attn.bias": (3 * d,), f"h.{l}.attn.c_proj.weight": (d, d), f"h.{l}.attn.c_proj.bias": (d,),
                       f"h.{l}.ln_2.weight": (d,), f"h.{l}.ln_2.bias": (d,), f"h.{l}.mlp.c_fc.weight": (d, 4 * d),
                       f"h.{l}.mlp.c_fc.bias": (4 * d,), f"h.{l}.mlp.c_proj.weight": (4 * d, d), f"h.{l}.mlp.c_proj.bias": (d,)})
    w = {k: (torch.ones(s) if k.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")) else torch.randn(*s, generator=g) * 0.02)
         for k, s in shapes.items()}
    write_safetensors(out / "model.safetensors", w)
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1))
    print(sum(t.numel() for t in w.values()))


def main(out):
    g = torch.Generator().manual_seed(20261130)
    write_model(Path(out) / "hf-gpt2", gpt2_model(g))
    write_model(Path(out) / "hf-llama", llama_model(g))


if __name__ == "__main__":
    if sys.argv[1] == "--gpt2-124m":
        gpt2_124m(sys.argv[2])
    elif sys.argv[1] == "--check":
        sys.exit(0 if check(*sys.argv[2:5]) else 1)
    else:
        main(sys.argv[1])
