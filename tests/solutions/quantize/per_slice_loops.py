"""Correct alternative for quantize: one slice at a time with index_select, NF4 by a Python loop over blocks."""

import torch

NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
       -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
       0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0]


def _per_channel(x, axis, stat):
    if axis is None:
        return stat(x.reshape(-1))
    axis = axis % x.dim()
    vals = [stat(x.index_select(axis, torch.tensor([i])).reshape(-1)) for i in range(x.shape[axis])]
    shape = [1] * x.dim()
    shape[axis] = x.shape[axis]
    return torch.stack(vals).reshape(shape)


def quantize_symmetric(x, axis=None):
    x = x.to(torch.float32)
    absmax = _per_channel(x, axis, lambda v: v.abs().max())
    scale = absmax / 127
    scale = torch.where(absmax == 0, torch.tensor(1.0), scale)
    return torch.round(x / scale).clamp(-127, 127).to(torch.int8), scale


def quantize_asymmetric(x, axis=None):
    x = x.to(torch.float32)
    lo = _per_channel(x, axis, lambda v: torch.minimum(v.min(), torch.tensor(0.0)))
    hi = _per_channel(x, axis, lambda v: torch.maximum(v.max(), torch.tensor(0.0)))
    scale = torch.where(hi == lo, torch.tensor(1.0), (hi - lo) / 255)
    zero_point = torch.round(-128 - lo / scale).clamp(-128, 127).to(torch.int32)
    q = (torch.round(x / scale) + zero_point).clamp(-128, 127).to(torch.int8)
    return q, scale, zero_point


def dequantize(q, scale, zero_point=0):
    return (q.float() - zero_point) * scale


def nf4_quantize(x, block_size=64):
    flat = x.reshape(-1).float()
    n = flat.numel()
    if n % block_size:
        raise ValueError(f"size {n} is not a multiple of {block_size}")
    table = torch.tensor(NF4)
    codes = torch.empty(n, dtype=torch.uint8)
    absmax = torch.empty(n // block_size)
    for b in range(n // block_size):
        block = flat[b * block_size:(b + 1) * block_size]
        m = block.abs().max()
        absmax[b] = m
        unit = block / m if m > 0 else block
        codes[b * block_size:(b + 1) * block_size] = (unit[:, None] - table[None, :]).abs().argmin(1).to(torch.uint8)
    return codes.reshape(x.shape), absmax


def nf4_dequantize(codes, absmax, block_size=64):
    table = torch.tensor(NF4)
    flat = codes.reshape(-1).long()
    out = table[flat] * absmax.repeat_interleave(block_size)
    return out.reshape(codes.shape)
