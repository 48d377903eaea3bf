"""A correct RMSNorm through the vector norm: rms = ‖x‖ / √d, with eps inside the root."""

import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.dim, self.eps = dim, eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        work = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        mean_sq = torch.linalg.vector_norm(work, dim=-1, keepdim=True) ** 2 / self.dim
        y = work * (mean_sq + self.eps).rsqrt() * self.weight.to(work.dtype)
        return y.to(x.dtype)
