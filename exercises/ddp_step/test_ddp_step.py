"""Hidden suite for ddp_step: data-parallel SGD by hand on real gloo ranks (forked processes)."""


import pytest
import torch

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import run_ranks

LABELS = mistake_labels(__file__)

TIMEOUT = 15  # seconds per run_ranks call: a deadlock fails fast
D_IN, D_HID, D_OUT = 5, 6, 3


@pytest.fixture(scope="module", autouse=True)
def optimizer_loaded():
    """torch.optim's first use imports torch._dynamo (seconds): done once here, not in every forked rank, so a
    solution that steps with torch.optim.SGD is not timed out as a deadlock."""
    p = torch.nn.Parameter(torch.zeros(1))
    p.grad = torch.ones(1)
    torch.optim.SGD([p], lr=0.1).step()


def make_model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(D_IN, D_HID, dtype=torch.float64), torch.nn.Tanh(),
                               torch.nn.Linear(D_HID, D_OUT, dtype=torch.float64))


def make_batch(seed, n):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, D_IN, generator=g, dtype=torch.float64),
            torch.randn(n, D_OUT, generator=g, dtype=torch.float64))


def params_of(model):
    return [p.detach().clone() for p in model.parameters()]


def simulate(seed, data_seed, n, world_size, steps, lr, combine="correct"):
    """Single-process float64 training of rank 0's model on the full batches.

    combine: how the per-shard gradients (each the gradient of that shard's MEAN loss) are merged:
    "correct" weights shard r by n_r / N (= gradient of the global mean), "sum" adds them,
    "equal" averages them with equal weight, "divided" is the correct sum divided by the world size
    once more. Returns (params after the steps, losses).
    """
    model = make_model(seed)
    losses = []
    for step in range(steps):
        x, y = make_batch(data_seed + step, n)
        shards = list(zip(torch.tensor_split(x, world_size), torch.tensor_split(y, world_size)))
        total = [torch.zeros_like(p) for p in model.parameters()]
        for xs, ys in shards:
            if not len(xs) and combine in ("correct", "divided"):
                continue  # a rank without rows adds nothing to the global mean (its own mean is 0/0)
            local_loss = ((model(xs) - ys) ** 2).mean()
            grads = torch.autograd.grad(local_loss, list(model.parameters()))
            weight = {"correct": len(xs) / n, "sum": 1.0, "equal": 1.0 / world_size,
                      "divided": len(xs) / n / world_size}[combine]
            total = [t + weight * g for t, g in zip(total, grads)]
        with torch.no_grad():
            losses.append(float(((model(x) - y) ** 2).mean()))
            for p, g in zip(model.parameters(), total):
                p -= lr * g
    return params_of(model), losses


def train_worker(rank, world_size, solution, seed, data_seed, n, steps, lr, distinct_init, stale_grads):
    model = make_model(seed + (1000 * rank if distinct_init else 0))
    if distinct_init:
        solution.broadcast_parameters(model)
    losses = []
    for step in range(steps):
        x, y = make_batch(data_seed + step, n)
        if stale_grads:
            g = torch.Generator().manual_seed(7 + step)
            for p in model.parameters():
                p.grad = torch.randn(p.shape, generator=g, dtype=p.dtype)
        loss = solution.ddp_step(model, torch.tensor_split(x, world_size)[rank],
                                 torch.tensor_split(y, world_size)[rank], lr)
        losses.append(float(loss))
    return params_of(model), losses


def run_training(solution, world_size, *, seed=0, data_seed=100, n=8, steps=1, lr=0.1,
                 distinct_init=False, stale_grads=False):
    return run_ranks(train_worker, world_size, solution, seed, data_seed, n, steps, lr, distinct_init,
                     stale_grads, timeout=TIMEOUT)


def check_params(results, expected, mistakes=(), what="parameters after the step"):
    for rank, (params, _) in enumerate(results):
        for i, (got, want) in enumerate(zip(params, expected)):
            assert_close(got, want, rtol=1e-9, atol=1e-11, name=f"rank {rank}: {what}, tensor {i}",
                         mistakes={LABELS[mistake]: wrong[i] for mistake, wrong in mistakes})


def broadcast_worker(rank, world_size, solution, seed):
    model = make_model(seed + 1000 * rank)
    solution.broadcast_parameters(model)
    return params_of(model)


def contract_worker(rank, world_size, solution, n):
    """Which contracts one broadcast + step broke: parameters replaced instead of updated in place (an
    optimizer or a DDP wrapper holds the original objects), the caller's x or y changed, a non-float loss."""
    model = make_model(50 + 1000 * rank)
    kept = list(model.parameters())  # held here, so a replaced parameter's id is never reused
    before = [(id(p), p.data_ptr()) for p in kept]
    x, y = (t.clone() for t in make_batch(100, n))
    xs, ys = torch.tensor_split(x, world_size)[rank], torch.tensor_split(y, world_size)[rank]
    problems = []
    solution.broadcast_parameters(model)
    if [(id(p), p.data_ptr()) for p in model.parameters()] != before:
        problems.append("broadcast_parameters replaced parameters (or their storage) instead of copying into them")
        kept = list(model.parameters())
        before = [(id(p), p.data_ptr()) for p in kept]
    loss = solution.ddp_step(model, xs, ys, 0.1)
    if [(id(p), p.data_ptr()) for p in model.parameters()] != before:
        problems.append("ddp_step replaced parameters (or their storage) instead of updating them in place")
    if not (torch.equal(x, make_batch(100, n)[0]) and torch.equal(y, make_batch(100, n)[1])):
        problems.append("ddp_step modified its inputs x or y")
    if not isinstance(loss, float):
        problems.append(f"ddp_step returned a {type(loss).__name__}, not a Python float")
    return problems


@pytest.mark.parametrize("world_size", [2])
def test_parameters_updated_in_place_inputs_untouched_float_returned(solution, world_size):
    results = run_ranks(contract_worker, world_size, solution, 7, timeout=TIMEOUT)
    problems = sorted({p for rank_problems in results for p in rank_problems})
    hints = {"broadcast_parameters replaced": "broadcast_replaces_parameters", "ddp_step replaced": "step_replaces_parameters",
             "modified its inputs": "inputs_modified", "not a Python float": "loss_returned_as_tensor"}
    named = [known_mistake(LABELS[m]) for key, m in hints.items() if any(key in p for p in problems)]
    assert not problems, "; ".join(problems) + "".join(named)


@pytest.mark.parametrize("world_size", [2, 4])
def test_broadcast_parameters_gives_every_rank_rank0_weights(solution, world_size):
    results = run_ranks(broadcast_worker, world_size, solution, 3, timeout=TIMEOUT)
    expected = params_of(make_model(3))
    for rank, params in enumerate(results):
        own = params_of(make_model(3 + 1000 * rank))
        for i, (got, want) in enumerate(zip(params, expected)):
            assert_close(got, want, rtol=0, atol=0, name=f"rank {rank}: parameter {i} after broadcast_parameters",
                         mistakes={LABELS["no_broadcast"]: own[i]} if rank else {})


@pytest.mark.parametrize("world_size,n", [(2, 8), (4, 12)])
def test_step_on_even_shards_matches_full_batch_sgd(solution, world_size, n):
    results = run_training(solution, world_size, n=n, seed=world_size)
    expected, _ = simulate(world_size, 100, n, world_size, 1, 0.1)
    summed, _ = simulate(world_size, 100, n, world_size, 1, 0.1, combine="sum")
    divided, _ = simulate(world_size, 100, n, world_size, 1, 0.1, combine="divided")
    check_params(results, expected, [("sum_not_average", summed), ("divided_twice", divided)])


@pytest.mark.parametrize("world_size,n", [(2, 7), (4, 10), (4, 5), (4, 3)])  # (4, 3): one rank holds no rows
def test_uneven_shards_weight_each_rank_by_its_rows(solution, world_size, n):
    results = run_training(solution, world_size, n=n, seed=10 + n)
    expected, _ = simulate(10 + n, 100, n, world_size, 1, 0.1)
    equal, _ = simulate(10 + n, 100, n, world_size, 1, 0.1, combine="equal")
    summed, _ = simulate(10 + n, 100, n, world_size, 1, 0.1, combine="sum")
    check_params(results, expected, [("equal_weight_average", equal), ("sum_not_average", summed)])


@pytest.mark.parametrize("world_size,n", [(2, 9), (4, 10)])
def test_returned_loss_is_global_batch_mean(solution, world_size, n):
    results = run_training(solution, world_size, n=n, seed=5)
    _, losses = simulate(5, 100, n, world_size, 1, 0.1)
    x, y = make_batch(100, n)
    model = make_model(5)
    with torch.no_grad():
        per_rank = [float(((model(xs) - ys) ** 2).mean())
                    for xs, ys in zip(torch.tensor_split(x, world_size), torch.tensor_split(y, world_size))]
    for rank, (_, got) in enumerate(results):
        assert_close(got, losses, rtol=1e-9, atol=1e-12,  # Python floats: compared in float64
                     name=f"rank {rank}: returned loss (mean over the whole global batch, before the step)",
                     mistakes={LABELS["loss_not_reduced"]: per_rank[rank:rank + 1],
                               LABELS["equal_weight_average"]: [sum(per_rank) / world_size],
                               LABELS["sum_not_average"]: [sum(per_rank)]})


@pytest.mark.parametrize("world_size", [2, 4])
def test_stale_grad_from_before_the_step_is_ignored(solution, world_size):
    results = run_training(solution, world_size, n=8, seed=21, steps=2, stale_grads=True)
    expected, _ = simulate(21, 100, 8, world_size, 2, 0.1)
    check_params(results, expected, what="parameters when .grad held stale values before each step "
                                         "(zero or reset the gradients before backward)")


@pytest.mark.parametrize("world_size,n", [(2, 7), (4, 9)])
def test_three_steps_from_different_random_inits_match_single_process(solution, world_size, n):
    results = run_training(solution, world_size, n=n, seed=31, steps=3, lr=0.2, distinct_init=True)
    expected, losses = simulate(31, 100, n, world_size, 3, 0.2)
    check_params(results, expected, what="parameters after broadcast_parameters + 3 ddp_step calls")
    for rank, (_, got) in enumerate(results):
        assert_close(got, losses, rtol=1e-9, atol=1e-12,  # Python floats: compared in float64
                     name=f"rank {rank}: losses returned by the 3 steps")


def test_replicas_stay_bitwise_identical(solution):
    results = run_training(solution, 4, n=10, seed=41, steps=2, distinct_init=True)
    for rank, (params, _) in enumerate(results[1:], start=1):
        for i, (got, ref) in enumerate(zip(params, results[0][0])):
            assert torch.equal(got, ref), (
                f"rank {rank}'s parameter {i} differs from rank 0's after 2 steps (max diff "
                f"{(got - ref).abs().max().item():.3g}): every rank must apply the same averaged gradient")
