"""Reference solution for the `lora_linear` exercise: a LoRA adapter around a frozen nn.Linear, merge and unmerge."""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r=8, alpha=16):
        super().__init__()
        if r < 1:
            raise ValueError(f"rank r={r} must be at least 1")
        self.base = base
        self.base.weight.requires_grad_(False)
        if base.bias is not None:
            base.bias.requires_grad_(False)
        self.r, self.alpha, self.scaling = r, alpha, alpha / r
        w = base.weight
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        # B = 0: the adapted layer starts exactly as the pretrained one
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, dtype=w.dtype, device=w.device))
        self.merged = False

    def delta_weight(self):
        """(out_features, in_features): the change LoRA makes to base.weight."""
        return self.scaling * (self.lora_B @ self.lora_A)

    def forward(self, x):
        out = self.base(x)
        if self.merged:
            return out  # the update already lives in base.weight
        return out + self.scaling * (x @ self.lora_A.T @ self.lora_B.T)

    @torch.no_grad()
    def merge(self):
        if not self.merged:
            self.base.weight += self.delta_weight()
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        if self.merged:
            self.base.weight -= self.delta_weight()
        self.merged = False
