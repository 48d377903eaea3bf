"""Learning-rate schedule: linear warm-up, then cosine decay to a floor, optionally with hard restarts."""

import math


def lr_at(step, base_lr, warmup_steps, total_steps, min_lr=0.0, cycles=1):
    """The learning rate at integer ``step`` (0-based).

    step < warmup_steps:      base_lr · step / warmup_steps   (0 at step 0, base_lr exactly at step = warmup_steps)
    warmup_steps ≤ step < total_steps:
        span = total_steps − warmup_steps
        phase = (cycles · (step − warmup_steps)) mod span / span           in [0, 1): each cycle restarts at
                                                       base_lr (integer arithmetic makes a restart exactly 0)
        lr = min_lr + (base_lr − min_lr) · (1 + cos(π · phase)) / 2
    step ≥ total_steps:       min_lr
    ValueError unless step >= 0, total_steps >= 1, 0 <= warmup_steps <= total_steps, cycles an integer >= 1,
    and 0 <= min_lr <= base_lr.
    """
    raise NotImplementedError
