"""Correct alternative for softmax_xent: one row at a time with math.fsum and log-sum-exp, float64 inside."""

import math

import numpy as np


def _softmax_1d(row):
    top = max(row)
    e = [math.exp(v - top) for v in row]
    total = math.fsum(e)
    return [v / total for v in e]


def softmax(z, axis=-1):
    z = np.asarray(z)
    moved = np.moveaxis(z, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1]).astype(np.float64)
    out = np.array([_softmax_1d(list(r)) for r in flat]).reshape(moved.shape)
    return np.moveaxis(out, -1, axis).astype(z.dtype)


def cross_entropy(logits, labels, ignore_index=-100, reduction="mean"):
    if reduction not in ("mean", "sum"):
        raise ValueError(f"unknown reduction {reduction!r}")
    z = np.asarray(logits)
    n, c = z.shape
    total, counted = 0.0, 0
    grad = np.zeros((n, c), dtype=np.float64)
    for i in range(n):
        y = int(labels[i])
        if y == ignore_index:
            continue
        if not 0 <= y < c:
            raise ValueError(f"label {y} out of range for {c} classes")
        row = [float(v) for v in z[i]]
        top = max(row)
        lse = top + math.log(math.fsum(math.exp(v - top) for v in row))
        total += lse - row[y]
        counted += 1
        grad[i] = _softmax_1d(row)
        grad[i, y] -= 1.0
    if reduction == "mean":
        total = total / counted if counted else float("nan")
        grad /= max(counted, 1)
    return total, grad.astype(z.dtype)
