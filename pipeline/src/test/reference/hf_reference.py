#!/usr/bin/env python3
"""Independent reference for importing Hugging Face checkpoints: plain PyTorch GPT-2, Llama, Mistral, Qwen2 and
Qwen3 models and the tokenizer.json pipeline, written from the published definitions (Radford et al. 2019,
"Language Models are Unsupervised Multitask Learners", and its released encoder; Touvron et al. 2023, "LLaMA" and
"Llama 2", with rotary embeddings (Su et al. 2021), SwiGLU (Shazeer 2020) and grouped-query attention (Ainslie et
al. 2023); Meta's Llama 3.1 release for its rope scaling; Jiang et al. 2023, "Mistral 7B", for the sliding window;
the Qwen2 and Qwen3 technical reports for q/k/v biases and query/key norms; the tokenizers library's documented
normalizers, pre-tokenizers, BPE with byte fallback, post-processors and decoders), not from VersaTune's code.

Writes a small random model of each family in the Hugging Face layout (config.json, model.safetensors,
tokenizer.json) under OUTPUT_DIR/hf-gpt2, hf-llama, hf-llama31, hf-llama2, hf-mistral, hf-qwen2 and hf-qwen3, with
what the reference computes from it (reference.json: token ids of varied texts, greedy continuations;
reference.safetensors: the logits at every position of each prompt). The Java test HfCheckpointTest imports each
folder and must agree to 1e-4. For the newer families it asserts that leaving out the family's feature (rope
scaling, q/k/v biases, q/k norms) changes the logits by more than 0.05, and that the tokenizer's NFC, byte fallback
and special-token handling change ids, so that no fixture passes with a feature skipped. Needs Debian's
python3-torch, python3-numpy and python3-regex.

Usage: python3 hf_reference.py OUTPUT_DIR
       python3 hf_reference.py --gpt2-124m OUTPUT_DIR   (a random GPT-2-124M-shaped folder, for bench/hf-import.sh)
       python3 hf_reference.py --check HF_DIR TEXTS.jsonl SCORES.json
           (reads any GPT-2, Llama, Mistral, Qwen2 or Qwen3 folder, e.g. one `versatune export` wrote, and compares its own token ids, mean
           NLL and last-position top-5 logits with what `versatune score` wrote for the same texts; exit 1 on a
           difference beyond 1e-4)
"""
import json
import math
import struct
import sys
import unicodedata
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
    return train_bpe_words([w for t in corpus for w in pretokens(t, split)], n_merges)


def train_bpe_words(word_list, n_merges):
    """Most frequent adjacent pair first; ties to the lexicographically smallest pair."""
    words = {}
    for w in word_list:
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


# ---------------------------------------------------------------------------------------------------------------
# The families added since: Llama with rope_scaling (llama3, linear), Mistral, Qwen2, Qwen3; and the tokenizer.json
# pipeline as the Hugging Face tokenizers library defines it (added tokens, normalizer, pre-tokenizer, BPE model
# with byte fallback, post-processor template, decoder), read from the tokenizer.json itself.

QWEN2_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
SPACE = "\u2581"
EXTRA_TEXTS = [
    "Cafe\u0301 de\u0301ja\u0300 vu, \u1100\u1161\u11a8 and A\u030a: decomposed forms that NFC composes",
    "Digits 1234567 and 89, 3.14159; 2024-11-30",
]


class Tokenizer:
    """Encodes as the tokenizers library does by default: the text is split on added tokens (those not
    normalized first, the others after normalization; leftmost, then longest match), each remaining piece is
    normalized, pre-tokenized and BPE-encoded; then the post-processor's template adds its special tokens."""

    def __init__(self, tj, split_special_tokens=False):
        self.tj = tj
        m = tj["model"]
        self.vocab = m["vocab"]
        self.ranks = {tuple(x.split(" ")) if isinstance(x, str) else tuple(x): i for i, x in enumerate(m["merges"])}
        self.byte_fallback = m.get("byte_fallback", False)
        self.ignore_merges = m.get("ignore_merges", False)
        usable = [a for a in tj["added_tokens"] if not (a["special"] and split_special_tokens)]
        self.raw_added = {a["content"]: a["id"] for a in usable if not a["normalized"]}
        self.norm_added = {a["content"]: a["id"] for a in usable if a["normalized"]}
        self.special_ids = {a["id"] for a in tj["added_tokens"] if a["special"]}
        self.inverse = {i: s for s, i in self.vocab.items()}
        for a in tj["added_tokens"]:
            self.inverse[a["id"]] = a["content"]

    @staticmethod
    def split_added(text, added, start):
        """[(piece, is_token_id_or_None, starts_at_original_0)]: leftmost match, longest at that place."""
        out, i, last = [], 0, 0
        while i < len(text):
            best = max((t for t in added if text.startswith(t, i)), key=len, default=None)
            if best is None:
                i += 1
                continue
            if i > last:
                out.append((text[last:i], None, start and last == 0))
            out.append((best, added[best], False))
            i += len(best)
            last = i
        if last < len(text):
            out.append((text[last:], None, start and last == 0))
        return out

    def normalize(self, s, n):
        if n is None:
            return s
        t = n["type"]
        if t == "Sequence":
            for x in n["normalizers"]:
                s = self.normalize(s, x)
            return s
        if t == "NFC":
            return unicodedata.normalize("NFC", s)
        if t == "Prepend":
            return n["prepend"] + s if s else s
        if t == "Replace":
            return s.replace(n["pattern"]["String"], n["content"])
        raise ValueError(t)

    def pre_tokenize(self, s, at_start, p):
        if p is None:
            return [s]
        t = p["type"]
        if t == "Sequence":
            pieces = [s]
            for x in p["pretokenizers"]:
                pieces = [w for piece in pieces for w in self.pre_tokenize(piece, at_start, x)]
            return pieces
        if t == "Split":
            # Isolated: matches and the text between them are all kept as pieces
            out, last = [], 0
            for m in regex.finditer(p["pattern"]["Regex"], s):
                if m.start() > last:
                    out.append(s[last:m.start()])
                if m.end() > m.start():
                    out.append(m.group())
                last = m.end()
            if last < len(s):
                out.append(s[last:])
            return out
        if t == "ByteLevel":
            words = regex.findall(GPT2_SPLIT, s) if p.get("use_regex", True) else [s]
            return ["".join(B2U[b] for b in w.encode("utf-8")) for w in words]
        if t == "Metaspace":
            s = s.replace(" ", p["replacement"])
            if not s.startswith(p["replacement"]) and (p["prepend_scheme"] == "always" or p["prepend_scheme"] == "first" and at_start):
                s = p["replacement"] + s
            if not p.get("split", True):
                return [s]
            return [w for w in regex.split("(?=" + regex.escape(p["replacement"]) + ")", s) if w]
        raise ValueError(t)

    def symbols(self, word):
        """A word's starting symbols: its characters, or with byte fallback the <0xNN> tokens of a character the
        vocabulary lacks (a byte-level vocabulary has one character per byte already)."""
        out = []
        for c in word:
            if c in self.vocab or not self.byte_fallback:
                out.append(c)
            else:
                out.extend("<0x%02X>" % b for b in c.encode("utf-8"))
        return out

    def bpe(self, word):
        if self.ignore_merges and word in self.vocab:
            return [self.vocab[word]]
        parts = self.symbols(word)
        while len(parts) > 1:
            r, at = min((self.ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:])))
            if r == math.inf:
                break
            parts = parts[:at] + [parts[at] + parts[at + 1]] + parts[at + 2:]
        return [self.vocab[x] for x in parts]

    def encode(self, text, add_special_tokens=True):
        ids = []
        for piece, tid, at_start in self.split_added(text, self.raw_added, True):
            if tid is not None:
                ids.append(tid)
                continue
            normalized = self.normalize(piece, self.tj["normalizer"])
            for sub, sid, sub_start in self.split_added(normalized, self.norm_added, at_start):
                if sid is not None:
                    ids.append(sid)
                    continue
                for w in self.pre_tokenize(sub, sub_start, self.tj["pre_tokenizer"]):
                    ids.extend(self.bpe(w))
        return self.post_process(ids) if add_special_tokens else ids

    def post_process(self, ids, p=None):
        p = self.tj["post_processor"] if p is None else p
        if p is None or p["type"] == "ByteLevel":
            return ids
        if p["type"] == "Sequence":
            for x in p["processors"]:
                ids = self.post_process(ids, x)
            return ids
        assert p["type"] == "TemplateProcessing", p["type"]
        out = []
        for item in p["single"]:
            if "Sequence" in item:
                out.extend(ids)
            else:
                out.extend(p["special_tokens"][item["SpecialToken"]["id"]]["ids"])
        return out

    def decode(self, ids):
        """skip_special_tokens=True: special tokens dropped, then the decoder."""
        tokens = [self.inverse[i] for i in ids if i not in self.special_ids]
        d = self.tj["decoder"]
        if d["type"] == "ByteLevel":
            u2b = {c: b for b, c in B2U.items()}
            return bytes(u2b[c] for t in tokens for c in t).decode("utf-8", errors="replace")
        for step in d["decoders"]:
            if step["type"] == "Replace":
                tokens = [t.replace(step["pattern"]["String"], step["content"]) for t in tokens]
            elif step["type"] == "ByteFallback":
                out, run = [], []
                for t in tokens + [None]:
                    if t is not None and regex.fullmatch("<0x[0-9A-F]{2}>", t):
                        run.append(int(t[3:5], 16))
                        continue
                    if run:
                        try:
                            out.append(bytes(run).decode("utf-8"))
                        except UnicodeDecodeError:
                            out.extend("\ufffd" * len(run))
                        run = []
                    if t is not None:
                        out.append(t)
                tokens = out
            elif step["type"] == "Fuse":
                tokens = ["".join(tokens)]
            elif step["type"] == "Strip":
                def strip(t):
                    for _ in range(step["start"]):
                        if t.startswith(step["content"]):
                            t = t[len(step["content"]):]
                    return t
                tokens = [strip(t) for t in tokens]
            else:
                raise ValueError(step["type"])
        return "".join(tokens)


def rope_inv_freq(cfg, dh):
    """theta^(-2j/dh) in fp32; rope_scaling 'linear' divides every frequency by its factor, 'llama3' (Meta's
    Llama 3.1 release) keeps wavelengths shorter than original/high_freq_factor, divides those longer than
    original/low_freq_factor by the factor and interpolates smoothly in between."""
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, dh, 2).float() / dh))
    s = cfg.get("rope_scaling")
    if s is None:
        return inv
    kind = s.get("rope_type", s.get("type"))
    if kind == "linear":
        return inv / s["factor"]
    assert kind == "llama3", kind
    old, lo, hi, factor = s["original_max_position_embeddings"], s["low_freq_factor"], s["high_freq_factor"], s["factor"]
    out = []
    for f in inv.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < old / hi:
            out.append(f)
        elif wavelen > old / lo:
            out.append(f / factor)
        else:
            smooth = (old / wavelen - lo) / (hi - lo)
            out.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(out, dtype=torch.float32)


def window_of(cfg):
    """The sliding attention window, None for none: Mistral's sliding_window; Qwen2/Qwen3's only with
    use_sliding_window (and then on layers from max_window_layers on)."""
    if cfg["model_type"] == "mistral":
        return cfg.get("sliding_window")
    if cfg["model_type"] in ("qwen2", "qwen3") and cfg.get("use_sliding_window"):
        return cfg["sliding_window"]
    return None


def decoder_logits(w, cfg, ids, skip=()):
    """Llama, Mistral, Qwen2 and Qwen3 decoder blocks (RMSNorm, rotary positions, grouped-query attention,
    SwiGLU): Qwen2 adds biases to the q/k/v projections, Qwen3 an RMSNorm over each query and key head (before
    the rotation) and a head size of its own. `skip` names features to leave out, to show each one matters."""
    d, heads, kv, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    dh = cfg.get("head_dim") or d // heads
    t = len(ids)
    inv_freq = rope_inv_freq({**cfg, "rope_scaling": None} if "rope_scaling" in skip else cfg, dh)
    freqs = torch.outer(torch.arange(t).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    i, j = torch.arange(t)[:, None], torch.arange(t)[None, :]
    window = window_of(cfg)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    x = w["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = lambda n: w[f"model.layers.{l}.{n}"]
        has = lambda n: f"model.layers.{l}.{n}" in w
        allowed = j <= i
        if window is not None and l >= cfg.get("max_window_layers", 0):
            allowed &= i - j < window
        mask = torch.zeros(t, t).masked_fill(~allowed, float("-inf"))
        h = rms_norm(x, p("input_layernorm.weight"), eps)
        proj = lambda n, k: (h @ p(f"self_attn.{n}_proj.weight").T
                             + (p(f"self_attn.{n}_proj.bias") if has(f"self_attn.{n}_proj.bias") and "qkv_bias" not in skip else 0)).view(t, k, dh)
        q, k, v = proj("q", heads), proj("k", kv), proj("v", kv)
        if has("self_attn.q_norm.weight") and "qk_norm" not in skip:
            q = rms_norm(q, p("self_attn.q_norm.weight"), eps)
            k = rms_norm(k, p("self_attn.k_norm.weight"), eps)
        q, k, v = (m.transpose(0, 1) for m in (q, k, v))
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(heads // kv, dim=0), v.repeat_interleave(heads // kv, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(dh) + mask, dim=-1) @ v
        x = x + att.transpose(0, 1).reshape(t, heads * dh) @ p("self_attn.o_proj.weight").T
        h = rms_norm(x, p("post_attention_layernorm.weight"), eps)
        gate = torch.nn.functional.silu(h @ p("mlp.gate_proj.weight").T)
        x = x + (gate * (h @ p("mlp.up_proj.weight").T)) @ p("mlp.down_proj.weight").T
    return rms_norm(x, w["model.norm.weight"], eps) @ head.T


def added(specials, normalized=False):
    return [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": normalized,
             "special": special} for c, i, special in specials]


def template(bos_text, bos):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos_text, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos_text, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos_text, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos_text: {"id": bos_text, "ids": [bos], "tokens": [bos_text]}}}


def byte_level_tokenizer(split, specials, normalizer, post, ignore_merges):
    """A byte-level BPE trained on CORPUS (after the normalizer), with added tokens after the vocabulary."""
    merges = train_bpe([unicodedata.normalize("NFC", c) for c in CORPUS], N_MERGES, split)
    order = [B2U[b] for b in sorted(range(256), key=lambda b: ord(B2U[b]))]
    vocab = {tok: i for i, tok in enumerate(order)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    specials = [(c, len(vocab) + k, special) for k, (c, special) in enumerate(specials)]
    pre = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": split}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    tj = tokenizer_json(vocab, merges, [], pre, ignore_merges)
    tj.update({"added_tokens": added(specials), "normalizer": normalizer, "post_processor": post})
    return tj, {c: i for c, i, _ in specials}


def sentencepiece_tokenizer(metaspace):
    """SentencePiece-style BPE as LLaMA-2 and Mistral ship it: <unk> <s> </s>, the 256 <0xNN> byte tokens, the
    corpus' characters, then merges learnt within words that start at a space (shown as U+2581); text reaches
    the model as one piece with spaces replaced and U+2581 prepended (LLaMA-2: a Prepend and Replace normalizer;
    Mistral v0.3: a Metaspace pre-tokenizer)."""
    words = [w for c in CORPUS for w in regex.split("(?=" + SPACE + ")", SPACE + c.replace(" ", SPACE)) if w]
    merges = train_bpe_words(words, N_MERGES)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for c in sorted({c for w in words for c in w}):
        vocab[c] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tj = tokenizer_json(vocab, merges, [], None, False)
    tj["added_tokens"] = added([("<unk>", 0, True), ("<s>", 1, True), ("</s>", 2, True)])
    if metaspace:
        tj["pre_tokenizer"] = {"type": "Metaspace", "replacement": SPACE, "prepend_scheme": "first", "split": False}
    else:
        tj["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": SPACE},
                                                                {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]}
    tj["post_processor"] = template("<s>", 1)
    tj["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    tj["model"].update({"unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True})
    return tj, {"<unk>": 0, "<s>": 1, "</s>": 2}


def decoder_weights(g, cfg, qkv_bias=False, qk_norm=False):
    rnd = lambda *shape, std: torch.randn(*shape, generator=g) * std
    d, v, hid = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    dh = cfg.get("head_dim") or d // heads
    w = {"model.embed_tokens.weight": rnd(v, d, std=0.5), "model.norm.weight": 1 + rnd(d, std=0.1)}
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(v, d, std=0.3)
    for l in range(cfg["num_hidden_layers"]):
        shapes = [("input_layernorm.weight", (d,), 0.1), ("self_attn.q_proj.weight", (heads * dh, d), 0.3),
                  ("self_attn.k_proj.weight", (kv * dh, d), 0.3), ("self_attn.v_proj.weight", (kv * dh, d), 0.3),
                  ("self_attn.o_proj.weight", (d, heads * dh), 0.15), ("post_attention_layernorm.weight", (d,), 0.1),
                  ("mlp.gate_proj.weight", (hid, d), 0.2), ("mlp.up_proj.weight", (hid, d), 0.2),
                  ("mlp.down_proj.weight", (d, hid), 0.1)]
        if qkv_bias:
            shapes += [("self_attn.q_proj.bias", (heads * dh,), 0.5), ("self_attn.k_proj.bias", (kv * dh,), 0.5),
                       ("self_attn.v_proj.bias", (kv * dh,), 0.5)]
        if qk_norm:
            shapes += [("self_attn.q_norm.weight", (dh,), 0.5), ("self_attn.k_norm.weight", (dh,), 0.5)]
        for n, shape, std in shapes:
            w[f"model.layers.{l}.{n}"] = rnd(*shape, std=std) + (1 if n.endswith("norm.weight") else 0)
    return w


def decoder_config(model_type, vocab, bos, eos, **extra):
    cfg = {"model_type": model_type, "vocab_size": vocab, "hidden_size": 32, "intermediate_size": 48,
           "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "rope_scaling": None, "hidden_act": "silu",
           "tie_word_embeddings": False, "attention_dropout": 0.0, "bos_token_id": bos, "eos_token_id": eos}
    cfg.update(extra)
    return cfg


def llama31_model(g):
    """Llama 3.1/3.2: llama3 rope scaling whose three regimes (kept, interpolated, divided) all occur at head size
    16; a tied head (as Llama 3.2 1B); Llama 3's split pattern; the post-processor adds <|begin_of_text|>."""
    specials = [("<|begin_of_text|>", True), ("<|end_of_text|>", True), ("<|reserved_special_token_0|>", True),
                ("<|eot_id|>", True)]
    tj, ids = byte_level_tokenizer(LLAMA3_SPLIT, specials, None, None, True)
    bos, eos = ids["<|begin_of_text|>"], ids["<|end_of_text|>"]
    tj["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        template("<|begin_of_text|>", bos)]}
    cfg = decoder_config("llama", len(tj["model"]["vocab"]) + len(specials), bos, [eos, ids["<|eot_id|>"]],
                         rope_theta=10000.0, tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                         head_dim=16, rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                    "original_max_position_embeddings": 32, "rope_type": "llama3"})
    return cfg, tj, decoder_weights(g, cfg), "rope_scaling"


def llama2_model(g):
    """LLaMA-2's tokenizer (Prepend and Replace normalizer, byte fallback, <s> added) and linear rope scaling
    (as the long-context LLaMA fine-tunes use it)."""
    tj, ids = sentencepiece_tokenizer(metaspace=False)
    cfg = decoder_config("llama", len(tj["model"]["vocab"]), 1, 2, rope_scaling={"type": "linear", "factor": 4.0},
                         attention_bias=False, mlp_bias=False, pretraining_tp=1)
    return cfg, tj, decoder_weights(g, cfg), "rope_scaling"


def mistral_model(g):
    """Mistral v0.3's tokenizer (Metaspace pre-tokenizer) and a sliding window of 48 positions, so that every
    sequence run here fits in it."""
    tj, ids = sentencepiece_tokenizer(metaspace=True)
    cfg = decoder_config("mistral", len(tj["model"]["vocab"]), 1, 2, sliding_window=48, head_dim=None)
    return cfg, tj, decoder_weights(g, cfg), None


def qwen_tokenizer():
    specials = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<tool_call>", False)]
    tj, ids = byte_level_tokenizer(QWEN2_SPLIT, specials, {"type": "NFC"}, None, False)
    tj["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    return tj, ids


def qwen2_model(g):
    """Qwen2/Qwen2.5: biases on the q/k/v projections, a tied head, NFC and Qwen's single-digit split; a sliding
    window that use_sliding_window switches off."""
    tj, ids = qwen_tokenizer()
    eot = ids["<|endoftext|>"]
    cfg = decoder_config("qwen2", len(tj["model"]["vocab"]) + 12, eot, eot, tie_word_embeddings=True,
                         use_sliding_window=False, sliding_window=4, max_window_layers=1, rope_theta=1000000.0)
    return cfg, tj, decoder_weights(g, cfg, qkv_bias=True), "qkv_bias"


def qwen3_model(g):
    """Qwen3: RMSNorm over each query and key head before the rotation, head_dim 24 with hidden size 32 and 4
    query heads, an untied head."""
    tj, ids = qwen_tokenizer()
    eot, im_end = ids["<|endoftext|>"], ids["<|im_end|>"]
    cfg = decoder_config("qwen3", len(tj["model"]["vocab"]) + 12, eot, im_end, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=24, attention_bias=False, use_sliding_window=False,
                         sliding_window=None, max_window_layers=2, rope_theta=1000000.0)
    return cfg, tj, decoder_weights(g, cfg, qk_norm=True), "qk_norm"


def write_decoder_model(out, family):
    """As write_model, with the tokenizer.json pipeline: ids as Hugging Face gives them by default (with the
    post-processor's tokens) and with special tokens taken as plain text; the check that the family's feature
    changes the logits by far more than the tolerance (a fixture that passes without it would prove nothing)."""
    out.mkdir(parents=True, exist_ok=True)
    cfg, tj, w, feature = family
    write_safetensors(out / "model.safetensors", w)
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False, indent=1))
    tok, plain = Tokenizer(tj), Tokenizer(tj, split_special_tokens=True)
    specials = [a["content"] for a in tj["added_tokens"]]
    texts = TEXTS + EXTRA_TEXTS + [f"before{specials[1]}after {specials[-1]} and {specials[0]}",
                                   f"{specials[-1]}{specials[1]} leading token"]
    ref = {"texts": [], "prompts": []}
    for t in texts:
        ids = tok.encode(t)
        ref["texts"].append({"text": t, "ids": ids, "ids_plain": plain.encode(t),
                             "body": tok.encode(t, add_special_tokens=False), "decoded": tok.decode(ids)})
    assert ref["texts"][-1]["ids"] != ref["texts"][-1]["ids_plain"]
    if tj["normalizer"] == {"type": "NFC"}:
        raw = dict(tj, normalizer=None)
        assert Tokenizer(raw).encode(EXTRA_TEXTS[0]) != tok.encode(EXTRA_TEXTS[0]), "NFC must change the ids"
    if tj["model"]["byte_fallback"]:
        assert any(tok.inverse[i].startswith("<0x") for t in ref["texts"] for i in t["ids"]), "no byte fallback used"
    bos = cfg["bos_token_id"]
    eos = cfg["eos_token_id"] if isinstance(cfg["eos_token_id"], int) else cfg["eos_token_id"][0]
    logits, effect = {}, 0.0
    with torch.no_grad():
        for k, p in enumerate(PROMPTS):
            ids = tok.encode(p)
            logits[f"logits.{k}"] = decoder_logits(w, cfg, ids)
            if feature:
                effect = max(effect, float((decoder_logits(w, cfg, ids, skip=(feature,)) - logits[f"logits.{k}"]).abs().max()))
            body = tok.encode(p, add_special_tokens=False)
            seq, gen = [bos] + body, []
            for _ in range(GREEDY_TOKENS):
                last = decoder_logits(w, cfg, seq)[-1]
                if bos != eos:
                    last[bos] = float("-inf")   # generate's suppress_tokens=[bos]: a sampler never starts a new text
                nxt = int(torch.argmax(last))
                if nxt == eos:
                    break
                gen.append(nxt)
                seq.append(nxt)
            ref["prompts"].append({"text": p, "ids": ids, "body": body, "greedy": gen})
    if feature:
        assert effect > 0.05, f"{out.name}: leaving out {feature} changes the logits by only {effect}"
        ref["without_feature"] = {"feature": feature, "max_abs_logit_change": effect}
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
    tokenizer = Tokenizer(tok)
    if cfg["model_type"] == "gpt2":
        w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
        logits_of = gpt2_logits
    else:
        logits_of = decoder_logits
    texts = [json.loads(l) for l in open(texts_path) if l.strip()]
    scores = {r["id"]: r for r in json.load(open(scores_path))}
    worst, worst_nll, mismatched = 0.0, 0.0, 0
    with torch.no_grad():
        for t in texts:
            ids = tokenizer.encode(t["text"])
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
    for name, family in [("hf-llama31", llama31_model), ("hf-llama2", llama2_model), ("hf-mistral", mistral_model),
                         ("hf-qwen2", qwen2_model), ("hf-qwen3", qwen3_model)]:
        write_decoder_model(Path(out) / name, family(g))


if __name__ == "__main__":
    if sys.argv[1] == "--gpt2-124m":
        gpt2_124m(sys.argv[2])
    elif sys.argv[1] == "--check":
        sys.exit(0 if check(*sys.argv[2:5]) else 1)
    else:
        main(sys.argv[1])
