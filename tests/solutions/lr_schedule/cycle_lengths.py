"""Correct alternative for lr_schedule: cycle index and position from integer division, cosine via a helper."""

import math


def _cosine(fraction, high, low):
    return low + (high - low) * (1 + math.cos(math.pi * fraction)) / 2


def lr_at(step, base_lr, warmup_steps, total_steps, min_lr=0.0, cycles=1):
    valid = (step >= 0 and total_steps >= 1 and 0 <= warmup_steps <= total_steps and cycles >= 1
             and float(cycles).is_integer() and 0 <= min_lr <= base_lr)
    if not valid:
        raise ValueError("invalid schedule arguments")
    if step >= total_steps:
        return min_lr
    if step < warmup_steps:
        return step * base_lr / warmup_steps
    decay_steps = total_steps - warmup_steps
    scaled = int(cycles) * (step - warmup_steps)     # position on a grid where every cycle has decay_steps units
    within = scaled - (scaled // decay_steps) * decay_steps
    return _cosine(within / decay_steps, base_lr, min_lr)
