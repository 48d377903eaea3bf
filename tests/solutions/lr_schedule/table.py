"""Correct alternative for lr_schedule: build the per-step table once with numpy (cached) and index it."""

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=32)
def _table(base_lr, warmup_steps, total_steps, min_lr, cycles):
    steps = np.arange(total_steps + 1)
    warm = base_lr * steps / max(warmup_steps, 1)
    span = max(total_steps - warmup_steps, 1)
    phase = np.mod(cycles * (steps - warmup_steps), span) / span
    cos = min_lr + (base_lr - min_lr) * 0.5 * (1 + np.cos(np.pi * phase))
    table = np.where(steps < warmup_steps, warm, cos)
    table[total_steps] = min_lr
    return table


def lr_at(step, base_lr, warmup_steps, total_steps, min_lr=0.0, cycles=1):
    if step < 0 or total_steps < 1 or warmup_steps < 0 or warmup_steps > total_steps:
        raise ValueError("bad step or span")
    if cycles < 1 or cycles != int(cycles) or min_lr < 0 or min_lr > base_lr:
        raise ValueError("bad cycles or floor")
    table = _table(float(base_lr), int(warmup_steps), int(total_steps), float(min_lr), int(cycles))
    return float(table[min(int(step), total_steps)])
