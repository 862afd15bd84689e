#!/usr/bin/env python3
"""Peer measurement: the benchmark's default model in PyTorch (CPU), same shapes and block.

Pre-LayerNorm causal transformer, no linear-layer biases, ReLU (or GELU) MLP, learned positions, output
projection tied to the token embedding, Adam. Prints one JSON object with training tokens/s.
Usage: python3 bench/torch_lm.py --d-model 384 --layers 4 --heads 6 --context 128 --vocab 2048 --rows 32
"""
import argparse, json, math, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, h, act):
        super().__init__()
        self.h = h
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        self.ln2 = nn.LayerNorm(d)
        self.w1 = nn.Linear(d, 4 * d, bias=False)
        self.w2 = nn.Linear(4 * d, d, bias=False)
        self.act = F.relu if act == "relu" else F.gelu

    def forward(self, x, mask):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.h) + mask[:t, :t]
        a = (F.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(a)
        return x + self.w2(self.act(self.w1(self.ln2(x))))


class Lm(nn.Module):
    def __init__(self, vocab, ctx, d, layers, h, act):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList([Block(d, h, act) for _ in range(layers)])
        self.lnf = nn.LayerNorm(d)
        self.register_buffer("mask", torch.triu(torch.full((ctx, ctx), -1e9), diagonal=1))

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        for blk in self.blocks:
            x = blk(x, self.mask)
        return self.lnf(x) @ self.tok.weight.T


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--d-model", type=int, default=384)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--rows", type=int, default=32)
    p.add_argument("--activation", default="relu")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    m = Lm(a.vocab, a.context, a.d_model, a.layers, a.heads, a.activation)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.randint(4, a.vocab, (a.rows, a.context + 1))

    def step():
        logits = m(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, a.vocab), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sec = (time.perf_counter() - t0) / a.steps
    print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": a.threads, "seconds_per_step": round(sec, 3),
                      "tokens_per_s": round(a.rows * a.context / sec, 1),
                      "parameters": sum(q.numel() for q in m.parameters())}))


if __name__ == "__main__":
    main()
