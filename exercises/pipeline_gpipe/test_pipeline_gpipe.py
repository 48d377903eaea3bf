"""Hidden suite for pipeline_gpipe: a GPipe step over real gloo ranks (forked processes), one stage each."""


import pytest
import torch

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import run_ranks, watched_calls

LABELS = mistake_labels(__file__)

TIMEOUT = 8
DIMS = {2: [5, 6, 3], 3: [5, 6, 4, 3], 4: [5, 6, 4, 5, 3]}
TOL = {"rtol": 1e-10, "atol": 1e-12}


def build_stage(rank, world_size, seed):
    dims = DIMS[world_size]
    torch.manual_seed(1000 * seed + rank)
    linear = torch.nn.Linear(dims[rank], dims[rank + 1], dtype=torch.float64)
    return linear if rank == world_size - 1 else torch.nn.Sequential(linear, torch.nn.Tanh())


def make_batch(world_size, seed, batch_size):
    g = torch.Generator().manual_seed(seed)
    dims = DIMS[world_size]
    return (torch.randn(batch_size, dims[0], generator=g, dtype=torch.float64),
            torch.randn(batch_size, dims[-1], generator=g, dtype=torch.float64))


def logging_p2p(log):
    """Record (kind, shape) of every send and recv, however the code reached them (isend, P2POp, ...)."""
    return watched_calls(["send", "recv"], lambda kind, tensor, peer: log.append((kind, tuple(tensor.shape))))


def pipe_worker(rank, world_size, solution, seed, batch_size, n_micro):
    stage = build_stage(rank, world_size, seed)
    x, y = make_batch(world_size, seed, batch_size)
    log = []
    with logging_p2p(log):
        loss = solution.gpipe_step(stage, x if rank == 0 else None, y if rank == world_size - 1 else None,
                                   batch_size, n_micro, DIMS[world_size][rank])
    return {"grads": [None if p.grad is None else p.grad.clone() for p in stage.parameters()],
            "loss": loss, "log": log, "x_untouched": not x.requires_grad and x.grad is None
                                                   and torch.equal(x, make_batch(world_size, seed, batch_size)[0])}


def run(solution, world_size, seed=0, batch_size=8, n_micro=4):
    return run_ranks(pipe_worker, world_size, solution, seed, batch_size, n_micro, timeout=TIMEOUT)


def reference(world_size, seed, batch_size, n_micro, how="correct"):
    """Per-stage parameter gradients of the unsplit model and the loss; `how` selects a classic mistake."""
    stages = [build_stage(r, world_size, seed) for r in range(world_size)]
    model = torch.nn.Sequential(*stages)
    x, y = make_batch(world_size, seed, batch_size)
    parts = list(zip(x.tensor_split(n_micro), y.tensor_split(n_micro)))
    if how == "correct":
        loss = ((model(x) - y) ** 2).mean()
    elif how == "mean_per_micro":       # each micro-batch's own mean, summed
        loss = sum(((model(xm) - ym) ** 2).mean() for xm, ym in parts)
    elif how == "first_micro_only":     # grads zeroed between micro-batches: only the last backward (micro 0) survives
        xm, ym = parts[0]
        loss = ((model(xm) - ym) ** 2).sum() / y.numel()
    elif how == "rows_only":            # divided by the number of rows, not rows × outputs
        loss = ((model(x) - y) ** 2).sum() / batch_size
    loss.backward()
    loss = loss.detach()
    return [[p.grad for p in stage.parameters()] for stage in stages], loss.item()


def check_grads(results, world_size, seed, batch_size, n_micro):
    expected, _ = reference(world_size, seed, batch_size, n_micro)
    per_micro, _ = reference(world_size, seed, batch_size, n_micro, "mean_per_micro")
    first_only, _ = reference(world_size, seed, batch_size, n_micro, "first_micro_only")
    rows_only, _ = reference(world_size, seed, batch_size, n_micro, "rows_only")
    for rank, res in enumerate(results):
        for i, (got, want) in enumerate(zip(res["grads"], expected[rank])):
            assert got is not None, (
                f"rank {rank}: parameter {i} of the stage has no .grad. "
                + ("No gradient reached this stage: mark the received activation requires_grad_(), "
                   "send its .grad back, and call backward with the gradient you receive."
                   if rank < world_size - 1 else "Did the last stage call backward on the loss?"))
            mistakes = {LABELS["loss_missing_d_out"]: rows_only[rank][i]}
            if n_micro > 1:
                mistakes[LABELS["mean_per_micro_batch"]] = per_micro[rank][i]
                mistakes[LABELS["zero_grad_per_micro_batch"]] = first_only[rank][i]
            assert_close(got, want, **TOL, name=f"rank {rank}: stage parameter {i}.grad "
                                                f"({world_size} stages, batch {batch_size}, {n_micro} micro-batches)",
                         mistakes=mistakes)


@pytest.mark.parametrize("world_size", [2, 3, 4])
def test_gradients_match_unsplit_model(solution, world_size):
    check_grads(run(solution, world_size, seed=world_size), world_size, world_size, 8, 4)


@pytest.mark.parametrize("world_size,batch_size,n_micro", [(2, 7, 3), (4, 10, 4), (3, 5, 2)])
def test_uneven_micro_batches(solution, world_size, batch_size, n_micro):
    check_grads(run(solution, world_size, seed=10, batch_size=batch_size, n_micro=n_micro),
                world_size, 10, batch_size, n_micro)


@pytest.mark.parametrize("batch_size,n_micro", [(6, 1), (5, 5)])
def test_one_micro_batch_and_one_row_per_micro_batch(solution, batch_size, n_micro):
    check_grads(run(solution, 2, seed=20, batch_size=batch_size, n_micro=n_micro), 2, 20, batch_size, n_micro)


@pytest.mark.parametrize("world_size", [2, 4])
def test_last_stage_returns_the_full_batch_loss(solution, world_size):
    results = run(solution, world_size, seed=30, batch_size=7, n_micro=3)
    _, loss = reference(world_size, 30, 7, 3)
    _, per_micro = reference(world_size, 30, 7, 3, "mean_per_micro")
    for rank, res in enumerate(results[:-1]):
        assert res["loss"] is None, f"rank {rank} (not the last stage) returned {res['loss']!r}; expected None"
    assert results[-1]["loss"] is not None, "the last stage returned None; it must return the loss"
    assert isinstance(results[-1]["loss"], float), (
        f"the last stage returned a {type(results[-1]['loss']).__name__}; return the loss as a Python float"
        + known_mistake(LABELS["loss_returned_as_tensor"]))
    assert_close(float(results[-1]["loss"]), loss, **TOL,  # Python floats: compared in float64
                 name="loss returned by the last stage (MSE over the whole batch)",
                 mistakes={LABELS["mean_per_micro_batch"]: per_micro})


def test_caller_batch_left_untouched(solution):
    results = run(solution, 2, seed=40, batch_size=6, n_micro=3)
    assert results[0]["x_untouched"], (
        "rank 0: the caller's x was changed (its values, requires_grad or .grad); the stage's parameters need "
        "gradients, x does not: use x's micro-batches as they are" + known_mistake(LABELS["caller_x_requires_grad"]))


def test_gpipe_schedule_all_forwards_then_all_backwards(solution):
    world_size, batch_size, n_micro = 3, 7, 3
    results = run(solution, world_size, seed=40, batch_size=batch_size, n_micro=n_micro)
    sizes = [len(p) for p in torch.arange(batch_size).tensor_split(n_micro)]
    d1 = DIMS[world_size][1]
    expected = [("send", (s, d1)) for s in sizes] + [("recv", (s, d1)) for s in reversed(sizes)]
    got = results[0]["log"]
    assert got == expected, (
        f"rank 0's messages were {got}; a GPipe step sends one activation per micro-batch ({sizes} rows) and "
        f"then receives their gradients, last micro-batch first: {expected}")
