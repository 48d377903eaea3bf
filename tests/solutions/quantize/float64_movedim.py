"""Correct alternative for quantize: the channel axis moved to the front and flattened, statistics in float64."""

import torch

NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0], dtype=torch.float64)


def _rows(x, axis):
    """x as (channels, rest) float64, and a function that reshapes per-channel values to broadcast against x."""
    x = x.double()
    if axis is None:
        return x.reshape(1, -1), lambda v: v.reshape(())
    moved = x.movedim(axis, 0)
    shape = [1] * x.dim()
    shape[axis] = x.shape[axis]
    return moved.reshape(moved.shape[0], -1), lambda v: v.reshape(shape)


def quantize_symmetric(x, axis=None):
    rows, shape_like = _rows(x, axis)
    m = rows.abs().max(dim=1).values
    scale = shape_like(torch.where(m == 0, torch.ones_like(m), m / 127.0))
    q = (x.double() / scale).round().clamp(-127, 127).to(torch.int8)
    return q, scale.float()


def quantize_asymmetric(x, axis=None):
    rows, shape_like = _rows(x, axis)
    lo = rows.min(dim=1).values.clamp(max=0.0)
    hi = rows.max(dim=1).values.clamp(min=0.0)
    span = hi - lo
    scale = torch.where(span == 0, torch.ones_like(span), span / 255.0)
    zp = (-128.0 - lo / scale).round().clamp(-128, 127)
    scale, zp = shape_like(scale), shape_like(zp)
    q = ((x.double() / scale).round() + zp).clamp(-128, 127).to(torch.int8)
    return q, scale.float(), zp.to(torch.int32)


def dequantize(q, scale, zero_point=0):
    return ((q.double() - torch.as_tensor(zero_point).double()) * torch.as_tensor(scale).double()).float()


def nf4_quantize(x, block_size=64):
    if x.numel() % block_size != 0:
        raise ValueError("numel must be a multiple of block_size")
    blocks = x.double().reshape(-1, block_size)
    absmax = blocks.abs().max(dim=1).values
    unit = blocks / absmax.clamp_min(1e-300)[:, None]
    # nearest table value: compare against the midpoints between consecutive NF4 entries
    mids = (NF4[1:] + NF4[:-1]) / 2
    codes = torch.bucketize(unit, mids).to(torch.uint8)
    return codes.reshape(x.shape), absmax.float()


def nf4_dequantize(codes, absmax, block_size=64):
    vals = NF4[codes.long().reshape(-1, block_size)] * absmax.double()[:, None]
    return vals.reshape(codes.shape).float()
