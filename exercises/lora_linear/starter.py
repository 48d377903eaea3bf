"""LoRA: a trainable low-rank update B·A beside a frozen pretrained nn.Linear, with merge and unmerge."""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """y = base(x) + (alpha / r) · x Aᵀ Bᵀ, with base frozen.

    base: an existing nn.Linear(in_features, out_features), kept as self.base; its weight and bias are frozen.
    lora_A: nn.Parameter (r, in_features), random (e.g. kaiming_uniform_ with a=sqrt(5));
    lora_B: nn.Parameter (out_features, r), zeros. Both with the dtype and device of base.weight.
    Raise ValueError if r < 1.
    """

    def __init__(self, base, r=8, alpha=16):
        super().__init__()
        raise NotImplementedError

    def forward(self, x):
        """x: (..., in_features) -> (..., out_features)."""
        raise NotImplementedError

    def merge(self):
        """Add (alpha / r) · B·A into base.weight in place; afterwards forward is base(x) alone. Twice = once."""
        raise NotImplementedError

    def unmerge(self):
        """Undo merge() (in place); a no-op when not merged."""
        raise NotImplementedError
