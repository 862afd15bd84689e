"""Random BF16 checkpoints of published shapes, and PyTorch's generation speed on them (bench/hf-16bit.sh).

  python3 bench/hf_16bit.py write SHAPE OUT_DIR         a random BF16 folder (config.json, model.safetensors,
                                                        tokenizer.json), written one tensor slice at a time
  python3 bench/hf_16bit.py generate DIR ROWS TOKENS    PyTorch (fp32, weights widened on load, KV cache, this
                                                        machine's cores) generating TOKENS tokens for ROWS rows;
                                                        prints one JSON line

The block is the one pipeline/src/test/reference/hf_reference.py computes (RMSNorm, rotary positions, grouped-query
attention, SwiGLU, Qwen2's q/k/v biases), written here step by step with a cache.
"""
import json
import math
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pipeline/src/test/reference"))
from hf_reference import qwen_tokenizer, rms_norm, rope_inv_freq, rotate_half  # noqa: E402

SHAPES = {
    # Llama-3.1-8B: untied head, llama3 rope scaling
    "llama31-8b": dict(model_type="llama", hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                       num_key_value_heads=8, intermediate_size=14336, vocab_size=128256, tie_word_embeddings=False,
                       rope_theta=500000.0, max_position_embeddings=131072, rms_norm_eps=1e-5,
                       rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
    # Qwen2.5-0.5B: tied head, q/k/v biases
    "qwen25-0.5b": dict(model_type="qwen2", hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
                        num_key_value_heads=2, intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True,
                        rope_theta=1000000.0, max_position_embeddings=32768, rms_norm_eps=1e-6,
                        use_sliding_window=False, sliding_window=32768, max_window_layers=21),
}


def tensors(cfg):
    """(name, shape, std, offset) in the layout's order; norms around 1."""
    d, v, hid = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    dh = d // heads
    out = [("model.embed_tokens.weight", (v, d), 0.02, 0), ("model.norm.weight", (d,), 0.1, 1)]
    if not cfg["tie_word_embeddings"]:
        out.append(("lm_head.weight", (v, d), 0.02, 0))
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        out += [(p + "input_layernorm.weight", (d,), 0.1, 1), (p + "self_attn.q_proj.weight", (heads * dh, d), 0.02, 0),
                (p + "self_attn.k_proj.weight", (kv * dh, d), 0.02, 0), (p + "self_attn.v_proj.weight", (kv * dh, d), 0.02, 0),
                (p + "self_attn.o_proj.weight", (d, heads * dh), 0.02, 0), (p + "post_attention_layernorm.weight", (d,), 0.1, 1),
                (p + "mlp.gate_proj.weight", (hid, d), 0.02, 0), (p + "mlp.up_proj.weight", (hid, d), 0.02, 0),
                (p + "mlp.down_proj.weight", (d, hid), 0.02, 0)]
        if cfg["model_type"] == "qwen2":
            out += [(p + "self_attn.q_proj.bias", (heads * dh,), 0.5, 0), (p + "self_attn.k_proj.bias", (kv * dh,), 0.5, 0),
                    (p + "self_attn.v_proj.bias", (kv * dh,), 0.5, 0)]
    return out


def write(shape, out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tj, ids = qwen_tokenizer()   # a small tokenizer; the vocabulary beyond it is never produced by the text
    eot = ids["<|endoftext|>"]
    cfg = {**SHAPES[shape], "hidden_act": "silu", "attention_dropout": 0.0, "bos_token_id": eot, "eos_token_id": eot,
           "torch_dtype": "bfloat16"}
    specs = sorted(tensors(cfg))
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape_, _, _ in specs:
        n = 2 * math.prod(shape_)
        header[name] = {"dtype": "BF16", "shape": list(shape_), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    g = torch.Generator().manual_seed(8)
    with open(out / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, shape_, std, base in specs:
            rows = shape_[0]
            step = max(1, (1 << 24) // max(1, math.prod(shape_[1:])))
            for r in range(0, rows, step):
                part = (torch.randn((min(step, rows - r),) + tuple(shape_[1:]), generator=g) * std + base).to(torch.bfloat16)
                f.write(part.view(torch.int16).numpy().tobytes())
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    print(sum(math.prod(s) for _, s, _, _ in specs))


def load(folder):
    """Every tensor widened to fp32 (BF16 is the top half of an fp32)."""
    raw = (Path(folder) / "model.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    w = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        assert t["dtype"] == "BF16", (name, t["dtype"])
        half = np.frombuffer(raw, dtype="<u2", count=(b - a) // 2, offset=8 + n + a)
        w[name] = torch.from_numpy((half.astype(np.uint32) << 16).view(np.float32)).reshape(t["shape"])
    return w


@torch.no_grad()
def generate(folder, rows, tokens):
    torch.set_num_threads(os.cpu_count())   # every core, as `versatune bench lm` uses
    cfg = json.loads((Path(folder) / "config.json").read_text())
    t0 = time.perf_counter()
    w = load(folder)
    load_s = time.perf_counter() - t0
    d, heads, kv, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    dh, layers = d // heads, cfg["num_hidden_layers"]
    inv = rope_inv_freq(cfg, dh)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    keys = [torch.zeros(rows, kv, tokens + 1, dh) for _ in range(layers)]
    values = [torch.zeros(rows, kv, tokens + 1, dh) for _ in range(layers)]
    g = torch.Generator().manual_seed(7)
    cur = torch.full((rows,), cfg["bos_token_id"], dtype=torch.long)
    t1 = time.perf_counter()
    for pos in range(tokens):
        freqs = pos * inv
        emb = torch.cat((freqs, freqs))
        cos, sin = emb.cos(), emb.sin()
        x = w["model.embed_tokens.weight"][cur]
        for l in range(layers):
            p = lambda n: w[f"model.layers.{l}.{n}"]
            h = rms_norm(x, p("input_layernorm.weight"), eps)
            proj = lambda n, k: (h @ p(f"self_attn.{n}_proj.weight").T
                                 + w.get(f"model.layers.{l}.self_attn.{n}_proj.bias", 0)).view(rows, k, dh)
            q, k, v = proj("q", heads), proj("k", kv), proj("v", kv)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            keys[l][:, :, pos] = k
            values[l][:, :, pos] = v
            kk = keys[l][:, :, :pos + 1].repeat_interleave(heads // kv, dim=1)
            vv = values[l][:, :, :pos + 1].repeat_interleave(heads // kv, dim=1)
            att = torch.softmax((q.unsqueeze(2) @ kk.transpose(2, 3)) / math.sqrt(dh), dim=-1) @ vv
            x = x + att.reshape(rows, heads * dh) @ p("self_attn.o_proj.weight").T
            h = rms_norm(x, p("post_attention_layernorm.weight"), eps)
            x = x + (torch.nn.functional.silu(h @ p("mlp.gate_proj.weight").T) * (h @ p("mlp.up_proj.weight").T)) \
                @ p("mlp.down_proj.weight").T
        logits = rms_norm(x, w["model.norm.weight"], eps) @ head.T
        cur = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=g).squeeze(1)
    sec = time.perf_counter() - t1
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "dtype": "float32 (BF16 widened on load)",
                      "rows": rows, "tokens": rows * tokens, "load_seconds": round(load_s, 2), "seconds": round(sec, 2),
                      "tokens_per_s": round(rows * tokens / sec, 1)}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
