"""Quantisation by hand: int8 symmetric and asymmetric (per tensor or per channel), dequantisation, NF4 blocks."""

import torch

# the 16 NF4 values of QLoRA, index 0 … 15
NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0])


def quantize_symmetric(x, axis=None):
    """int8 codes in [-127, 127] with scale = absmax / 127 (1.0 where absmax is 0), q = round(x / scale).

    axis None: one scale for the whole tensor (a 0-d tensor); axis a: one scale per index along axis a,
    reduced over every other axis, kept with size-1 dims so it broadcasts against x.
    Returns (q int8 like x, scale float32).
    """
    raise NotImplementedError


def quantize_asymmetric(x, axis=None):
    """int8 codes in [-128, 127]: lo = min(min(x), 0), hi = max(max(x), 0), scale = (hi - lo) / 255 (1.0 if hi == lo),
    zero_point = round(-128 - lo / scale) (an integer tensor), q = clamp(round(x / scale) + zero_point, -128, 127).

    axis as in quantize_symmetric. Returns (q int8, scale float32, zero_point int32).
    """
    raise NotImplementedError


def dequantize(q, scale, zero_point=0):
    """(q - zero_point) * scale as float32."""
    raise NotImplementedError


def nf4_quantize(x, block_size=64):
    """NF4: split x (flattened) into blocks of block_size, absmax per block, each value / absmax replaced by the index
    of the nearest NF4 value. Raise ValueError if x.numel() is not a multiple of block_size.
    Returns (codes uint8 of x's shape, values 0 … 15; absmax float32 (n_blocks,)).
    """
    raise NotImplementedError


def nf4_dequantize(codes, absmax, block_size=64):
    """NF4[codes] * absmax of each block, float32, of codes' shape."""
    raise NotImplementedError
