"""Reference solution for the `quantize` exercise: int8 symmetric/asymmetric, per tensor or per channel, and NF4."""

import torch

# the 16 NF4 values of QLoRA (quantiles of a standard normal, scaled to [-1, 1], with an exact 0)
NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0])


def _reduce(x, axis, op):
    """op over everything but `axis` (all of x when axis is None), keeping dims so the result broadcasts."""
    if axis is None:
        return op(x)
    dims = [d for d in range(x.dim()) if d != axis % x.dim()]
    return op(x, dim=dims, keepdim=True)


def quantize_symmetric(x, axis=None):
    x = x.float()
    absmax = _reduce(x.abs(), axis, torch.amax)
    scale = torch.where(absmax > 0, absmax / 127, torch.ones_like(absmax))
    q = torch.clamp(torch.round(x / scale), -127, 127).to(torch.int8)
    return q, scale


def quantize_asymmetric(x, axis=None):
    x = x.float()
    lo = torch.clamp(_reduce(x, axis, torch.amin), max=0)  # the range always contains 0
    hi = torch.clamp(_reduce(x, axis, torch.amax), min=0)
    scale = torch.where(hi > lo, (hi - lo) / 255, torch.ones_like(hi))
    zero_point = torch.clamp(torch.round(-128 - lo / scale), -128, 127).to(torch.int32)
    q = torch.clamp(torch.round(x / scale) + zero_point, -128, 127).to(torch.int8)
    return q, scale, zero_point


def dequantize(q, scale, zero_point=0):
    return (q.to(torch.float32) - zero_point) * scale


def nf4_quantize(x, block_size=64):
    flat = x.reshape(-1).float()
    if flat.numel() % block_size:
        raise ValueError(f"{flat.numel()} elements do not split into blocks of {block_size}")
    blocks = flat.view(-1, block_size)
    absmax = blocks.abs().amax(1)
    normed = blocks / torch.where(absmax > 0, absmax, torch.ones_like(absmax))[:, None]
    codes = (normed[..., None] - NF4).abs().argmin(-1).to(torch.uint8)
    return codes.view(x.shape), absmax


def nf4_dequantize(codes, absmax, block_size=64):
    values = NF4[codes.reshape(-1, block_size).long()] * absmax[:, None]
    return values.view(codes.shape)
