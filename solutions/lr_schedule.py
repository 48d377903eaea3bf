"""Reference solution for the `lr_schedule` exercise: linear warm-up, then cosine decay to a floor, with restarts."""

import math


def lr_at(step, base_lr, warmup_steps, total_steps, min_lr=0.0, cycles=1):
    if step < 0 or total_steps < 1 or not 0 <= warmup_steps <= total_steps:
        raise ValueError("need step >= 0, total_steps >= 1 and 0 <= warmup_steps <= total_steps")
    if int(cycles) != cycles or cycles < 1 or not 0 <= min_lr <= base_lr:
        raise ValueError("need an integer cycles >= 1 and 0 <= min_lr <= base_lr")
    if step < warmup_steps:
        return base_lr * step / warmup_steps  # 0 at step 0; base_lr is reached exactly at step == warmup_steps
    if step >= total_steps:
        return min_lr
    span = total_steps - warmup_steps  # the cosine covers the decay steps only
    # the position within the current cycle, in [0, 1); integer arithmetic makes every restart exactly 0
    phase = (cycles * (step - warmup_steps)) % span / span
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * phase))
