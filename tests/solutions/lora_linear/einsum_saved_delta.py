"""Correct alternative for lora_linear: einsum in float64 inside; merge remembers the exact delta it added."""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r=8, alpha=16):
        super().__init__()
        if r < 1:
            raise ValueError(f"bad rank {r}")
        base.weight.requires_grad_(False)
        if base.bias is not None:
            base.bias.requires_grad_(False)
        self.base, self.r, self.alpha = base, r, alpha
        out_f, in_f = base.weight.shape
        self.lora_A = nn.Parameter(torch.empty(r, in_f, dtype=base.weight.dtype))
        bound = 1 / math.sqrt(in_f)
        nn.init.uniform_(self.lora_A, -bound, bound)
        self.lora_B = nn.Parameter(torch.zeros(out_f, r, dtype=base.weight.dtype))
        self.applied = None  # the delta currently inside base.weight, if merged

    def forward(self, x):
        y = self.base(x)
        if self.applied is not None:
            return y
        low = torch.einsum("...i,ri->...r", x.double(), self.lora_A.double())
        return y + (self.alpha / self.r) * torch.einsum("...r,or->...o", low, self.lora_B.double()).to(y.dtype)

    def merge(self):
        if self.applied is None:
            with torch.no_grad():
                self.applied = (self.alpha / self.r) * torch.einsum("or,ri->oi", self.lora_B, self.lora_A)
                self.base.weight.add_(self.applied)

    def unmerge(self):
        if self.applied is not None:
            with torch.no_grad():
                self.base.weight.sub_(self.applied)
            self.applied = None
