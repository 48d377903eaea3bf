"""Correct alternative for lora_linear: F.linear calls, Gaussian A (PEFT's "gaussian" init), merge with addmm_."""

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r=8, alpha=16):
        super().__init__()
        if not isinstance(r, int) or r <= 0:
            raise ValueError("r must be a positive integer")
        self.base = base
        for p in base.parameters():
            p.requires_grad = False
        self.scale = alpha / r
        kw = dict(dtype=base.weight.dtype, device=base.weight.device)
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features, **kw) / r)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **kw))
        self._merged = False

    def forward(self, x):
        y = F.linear(x, self.base.weight, self.base.bias)
        if not self._merged:
            y = y + self.scale * F.linear(F.linear(x, self.lora_A), self.lora_B)
        return y

    def merge(self):
        if self._merged:
            return
        with torch.no_grad():
            self.base.weight.addmm_(self.lora_B, self.lora_A, alpha=self.scale)
        self._merged = True

    def unmerge(self):
        if not self._merged:
            return
        with torch.no_grad():
            self.base.weight.addmm_(self.lora_B, self.lora_A, alpha=-self.scale)
        self._merged = False
