"""A correct RMSNorm that always computes in float64 (at least float32 for half inputs) and casts back."""

import torch


class RMSNorm(torch.nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        h = x.double()
        rms = torch.sqrt(torch.mean(h * h, dim=-1, keepdim=True) + self.eps)
        return (h / rms * self.weight.double()).to(x.dtype)
