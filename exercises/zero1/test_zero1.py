"""Hidden suite for zero1: ZeRO stage 1 Adam on real gloo ranks (forked processes)."""

import pytest
import torch

from quizcli.testing import assert_close, is_close, known_mistake, mistake_labels
from quizcli.testing_distributed import held_elements, run_ranks

LABELS = mistake_labels(__file__)

TIMEOUT = 15
SMALL = [(5, 3), (7,), (2, 2, 2)]           # 30 elements
ODD = [(5, 3), (7,), (2, 2, 2), (1,)]      # 31 elements
LARGE = [(20, 12), (40,), (10, 12)]        # 400 elements


def hyper(kwargs):
    """The optimizer's keyword arguments: lr 0.01 unless given; a value of None leaves that default to the class."""
    return {k: v for k, v in {"lr": 0.01, **kwargs}.items() if v is not None}


def init_params(shapes, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]


def local_grads(shapes, seed, rank, step):
    g = torch.Generator().manual_seed(100_000 * seed + 100 * step + rank)
    return [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]


def flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


def zero_worker(rank, world_size, solution, shapes, seed, steps, kwargs):
    params = [p.requires_grad_() for p in init_params(shapes, seed)]
    opt = solution.ZeroAdam(params, **kwargs)
    storage = [p.data_ptr() for p in params]
    history = []
    for step in range(steps):
        for p, g in zip(params, local_grads(shapes, seed, rank, step)):
            p.grad = g
        opt.step()
        history.append(flat([p.detach() for p in params]).clone())
    # Everything the optimizer (or the solution's module and classes) keeps, the parameters and their grads excepted.
    return {"history": history, "held": held_elements(opt, solution, exclude=params),
            "in_place": [p.data_ptr() for p in params] == storage}


def run(solution, world_size, shapes=SMALL, seed=0, steps=3, **kwargs):
    kwargs = hyper(kwargs)
    return run_ranks(zero_worker, world_size, solution, shapes, seed, steps, kwargs, timeout=TIMEOUT)


def torch_adam(shapes, seed, steps, world_size, combine, **kwargs):
    """Flat parameters after each step of torch.optim.Adam fed with the combined gradients."""
    params = [p.requires_grad_() for p in init_params(shapes, seed)]
    opt = torch.optim.Adam(params, **hyper(kwargs))
    history = []
    for step in range(steps):
        grads = [local_grads(shapes, seed, r, step) for r in range(world_size)]
        for i, p in enumerate(params):
            p.grad = combine([g[i] for g in grads])
        opt.step()
        history.append(flat([p.detach() for p in params]).clone())
    return history


def check(results, shapes, seed, steps, world_size, **kwargs):
    mean = torch_adam(shapes, seed, steps, world_size, lambda gs: sum(gs) / len(gs), **kwargs)
    summed = torch_adam(shapes, seed, steps, world_size, lambda gs: sum(gs), **kwargs)
    local = [torch_adam(shapes, seed, steps, world_size, lambda gs, r=r: gs[r], **kwargs) for r in range(world_size)]
    before = [flat(init_params(shapes, seed))] + mean[:-1]
    for rank, res in enumerate(results):
        assert res["in_place"], (f"rank {rank}: the parameters' memory was replaced (p.data = … or a new tensor); "
                                 "update them in place" + known_mistake(LABELS["params_rebound"]))
        for step in range(steps):
            got, want = res["history"][step], mean[step]
            if is_close(got, want, rtol=1e-9, atol=1e-12):
                continue
            bad = ~torch.isclose(got, want, rtol=1e-9, atol=1e-12)
            label = ""
            if is_close(got, summed[step], rtol=1e-9, atol=1e-12) and not is_close(want, summed[step], rtol=1e-9,
                                                                                     atol=1e-12):
                label = LABELS["summed_gradients"]
            elif torch.isclose(got[bad], before[step][bad], rtol=1e-9, atol=1e-12).all():
                label = LABELS["no_all_gather"]
            elif torch.stack([torch.isclose(got[bad], lr[step][bad], rtol=1e-9, atol=1e-12)
                              for lr in local]).any(0).all():
                label = LABELS["local_gradients"]
            try:
                assert_close(got, want, rtol=1e-9, atol=1e-12,
                             name=f"rank {rank}: flattened parameters after step {step + 1} of {steps} "
                                  f"({world_size} ranks, expected torch.optim.Adam on the averaged gradient)")
            except AssertionError as exc:
                raise AssertionError(f"{exc}" + (known_mistake(label) if label else "")) \
                    from None


@pytest.mark.parametrize("world_size", [2, 4])
def test_matches_torch_adam_on_averaged_gradients(solution, world_size):
    check(run(solution, world_size, seed=world_size), SMALL, world_size, 3, world_size)


@pytest.mark.parametrize("world_size", [3, 4])
def test_total_size_not_divisible_by_world_size(solution, world_size):
    check(run(solution, world_size, shapes=ODD, seed=7), ODD, 7, 3, world_size)


@pytest.mark.parametrize("world_size", [2, 4])
def test_gradients_are_averaged_not_summed(solution, world_size):
    # With a large eps, Adam is no longer invariant to the gradient's scale: sum and mean differ.
    check(run(solution, world_size, seed=11, eps=0.5), SMALL, 11, 3, world_size, eps=0.5)


def test_default_hyperparameters(solution):
    check(run(solution, 2, seed=23, lr=None), SMALL, 23, 3, 2, lr=None)


def test_fewer_elements_than_ranks(solution):
    # 3 elements on 4 ranks: shards of one element, the last rank owns only padding
    check(run(solution, 4, shapes=[(3,)], seed=29), [(3,)], 29, 3, 4)


def test_custom_betas_and_ten_steps(solution):
    kwargs = {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6}
    check(run(solution, 2, seed=13, steps=10, **kwargs), SMALL, 13, 10, 2, **kwargs)


def test_every_rank_ends_with_identical_parameters(solution):
    results = run(solution, 4, shapes=ODD, seed=17)
    for rank, res in enumerate(results[1:], start=1):
        diff = (res["history"][-1] - results[0]["history"][-1]).abs().max().item()
        assert diff == 0, f"rank {rank}'s parameters differ from rank 0's after 3 steps (max diff {diff:.3g})"


@pytest.mark.parametrize("world_size", [2, 4])
def test_each_rank_holds_about_one_nth_of_the_optimizer_state(solution, world_size):
    results = run(solution, world_size, shapes=LARGE, seed=19, steps=2)
    check(results, LARGE, 19, 2, world_size)
    total = sum(torch.Size(s).numel() for s in LARGE)
    budget = 2 * -(-total // world_size) + 16
    full_state = range(2 * total, 2 * -(-total // world_size) * world_size + 17)  # both moments, full size
    for rank, res in enumerate(results):
        assert res["held"] <= budget, (
            f"rank {rank}'s optimizer holds {res['held']} tensor elements (parameters excluded) for {total} "
            f"parameters on {world_size} ranks; full Adam state would be 2·{total} = {2 * total}, ZeRO-1 keeps "
            f"about 2·{total}/{world_size} (at most {budget} allowed). "
            + (known_mistake(LABELS["full_state_every_rank"])
               if res["held"] in full_state else "Keep temporary buffers local to step().")
        )
