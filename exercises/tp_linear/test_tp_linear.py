"""Hidden suite for tp_linear: Megatron tensor-parallel MLP on real gloo ranks (forked processes)."""


import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import run_ranks, watched_calls

LABELS = mistake_labels(__file__)

TIMEOUT = 10
D, H = 8, 12  # d_model, hidden: H divisible by 2 and 4; D too, so a wrong split dimension still "fits"
LOGGED = ["all_reduce", "all_reduce_coalesced", "all_gather", "all_gather_into_tensor", "reduce_scatter",
          "reduce_scatter_tensor", "broadcast", "reduce", "send", "all_to_all", "all_to_all_single"]
TOL = {"rtol": 1e-10, "atol": 1e-12}


def make(seed, x_shape, bias_shift=0.0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    w1, b1, w2, b2 = r(H, D) / D ** 0.5, r(H), r(D, H) / H ** 0.5, r(D) + bias_shift
    return w1, b1, w2, b2, r(*x_shape), r(*x_shape)  # ..., x, upstream gradient of y


def logging_collectives(log, phase):
    """Record (phase, kind, numel) for every collective / send the code makes, by whatever name."""
    return watched_calls(LOGGED, lambda kind, tensor, peer: log.append(
        (phase[0], kind, 0 if tensor is None else tensor.numel())))


def tp_worker(rank, world_size, solution, seed, x_shape, bias_shift):
    w1, b1, w2, b2, x, gy = make(seed, x_shape, bias_shift)
    parts = solution.shard_mlp_weights(w1.clone(), b1.clone(), w2.clone(), b2.clone(), rank, world_size)
    parts = [torch.as_tensor(p).detach().clone().requires_grad_() for p in parts]
    x = x.clone().requires_grad_()
    log, phase = [], ["forward"]
    with logging_collectives(log, phase):
        y = solution.tp_mlp(x, *parts)
        phase[0] = "backward"
        (y * gy).sum().backward()
    return {"shapes": [tuple(p.shape) for p in parts], "parts": [p.detach() for p in parts],
            "y": y.detach(), "x_grad": x.grad, "grads": [p.grad for p in parts], "log": log}


def run(solution, world_size, seed=0, x_shape=(5, D), bias_shift=0.0):
    return run_ranks(tp_worker, world_size, solution, seed, x_shape, bias_shift, timeout=TIMEOUT)


def reference(seed, x_shape, world_size, bias_shift=0.0):
    """Unsharded float64 forward/backward, the per-rank pieces, and the classic wrong answers."""
    w1, b1, w2, b2, x, gy = make(seed, x_shape, bias_shift)
    leaves = [t.clone().requires_grad_() for t in (x, w1, b1, w2, b2)]
    xl, w1l, b1l, w2l, b2l = leaves
    y = F.linear(F.gelu(F.linear(xl, w1l, b1l)), w2l, b2l)
    (y * gy).sum().backward()
    k = H // world_size
    out = {"y": y.detach(), "x_grad": xl.grad, "partial_y": [], "partial_x_grad": []}
    out["parts"] = [(w1[r * k:(r + 1) * k], b1[r * k:(r + 1) * k], w2[:, r * k:(r + 1) * k], b2)
                    for r in range(world_size)]
    out["grads"] = [(w1l.grad[r * k:(r + 1) * k], b1l.grad[r * k:(r + 1) * k], w2l.grad[:, r * k:(r + 1) * k],
                     b2l.grad) for r in range(world_size)]
    for p1, q1, p2, _ in out["parts"]:
        xr = x.clone().requires_grad_()
        partial = F.linear(F.gelu(F.linear(xr, p1, q1)), p2)
        (partial * gy).sum().backward()
        out["partial_y"].append(partial.detach())
        out["partial_x_grad"].append(xr.grad)
    out["b2"] = b2
    return out


@pytest.mark.parametrize("world_size", [2, 4])
def test_shards_are_column_then_row_slices(solution, world_size):
    w1, b1, w2, b2, _, _ = make(0, (5, D))
    ref = reference(0, (5, D), world_size)
    k = H // world_size
    for rank in range(world_size):  # no communication needed: called directly here
        full = [w1.clone(), b1.clone(), w2.clone(), b2.clone()]
        parts = solution.shard_mlp_weights(*full, rank, world_size)
        assert isinstance(parts, (tuple, list)) and len(parts) == 4, \
            f"shard_mlp_weights should return 4 tensors (w1_part, b1_part, w2_part, b2), got {type(parts).__name__}"
        res = {"shapes": [tuple(p.shape) for p in parts], "parts": parts}
        names = ["w1_part", "b1_part", "w2_part", "b2"]
        expected_shapes = [(k, D), (k,), (D, k), (D,)]
        wrong = {("w1_part", (H, D // world_size)): LABELS["wrong_slice_dim"],
                 ("w2_part", (D // world_size, H)): LABELS["w2_split_rows"],
                 ("b1_part", (H,)): LABELS["b1_not_sharded"]}
        for name, got, want in zip(names, res["shapes"], expected_shapes):
            known = wrong.get((name, got))
            assert got == want, (f"rank {rank}: {name} has shape {got}, expected {want} (world size {world_size})"
                                 + (known_mistake(known) if known else ""))
        for name, got, want in zip(names, res["parts"], ref["parts"][rank]):
            assert_close(got, want, rtol=0, atol=0, name=f"rank {rank}: {name} (rank r keeps hidden units "
                                                        f"[r·{k}, (r+1)·{k}))")
        given = {t.untyped_storage().data_ptr() for t in full}
        shared = [name for name, got in zip(names, parts) if got.untyped_storage().data_ptr() in given]
        assert not shared, (f"rank {rank}: {', '.join(shared)} share memory with the full weights (a view or the "
                            "tensor itself); return new tensors" + known_mistake(LABELS["shards_are_views"]))


@pytest.mark.parametrize("world_size,x_shape", [(2, (5, D)), (4, (5, D)), (2, (2, 3, D)), (4, (1, D))])
def test_forward_matches_unsharded_mlp(solution, world_size, x_shape):
    results = run(solution, world_size, seed=1, x_shape=x_shape)
    ref = reference(1, x_shape, world_size)
    for rank, res in enumerate(results):
        assert_close(res["y"], ref["y"], **TOL, name=f"rank {rank}: output y ({world_size} ranks)", mistakes={
            LABELS["no_output_allreduce"]: ref["partial_y"][rank] + ref["b2"],
            LABELS["bias_before_allreduce"]: ref["y"] + (world_size - 1) * ref["b2"]})


@pytest.mark.parametrize("world_size", [2, 4])
def test_output_bias_is_counted_once(solution, world_size):
    results = run(solution, world_size, seed=2, bias_shift=5.0)
    ref = reference(2, (5, D), world_size, bias_shift=5.0)
    for rank, res in enumerate(results):
        assert_close(res["y"], ref["y"], **TOL, name=f"rank {rank}: output y with a large b2", mistakes={
            LABELS["bias_before_allreduce"]: ref["y"] + (world_size - 1) * ref["b2"]})


@pytest.mark.parametrize("world_size,x_shape", [(2, (5, D)), (4, (3, 2, D))])
def test_input_gradient_is_summed_over_ranks(solution, world_size, x_shape):
    results = run(solution, world_size, seed=3, x_shape=x_shape)
    ref = reference(3, x_shape, world_size)
    for rank, res in enumerate(results):
        assert res["x_grad"] is not None, f"rank {rank}: x.grad is None: the output is not differentiable w.r.t. x"
        assert_close(res["x_grad"], ref["x_grad"], **TOL, name=f"rank {rank}: x.grad", mistakes={
            LABELS["no_input_grad_allreduce"]: ref["partial_x_grad"][rank],
            LABELS["allreduce_in_both_directions"]: world_size * ref["x_grad"]})


@pytest.mark.parametrize("world_size", [2, 4])
def test_shard_gradients_match_slices_of_full_gradients(solution, world_size):
    results = run(solution, world_size, seed=4)
    ref = reference(4, (5, D), world_size)
    for rank, res in enumerate(results):
        for name, got, want in zip(["w1_part", "b1_part", "w2_part", "b2"], res["grads"], ref["grads"][rank]):
            assert got is not None, f"rank {rank}: {name}.grad is None: the output does not depend on it in autograd"
            assert_close(got, want, **TOL, name=f"rank {rank}: {name}.grad", mistakes={
                LABELS["allreduce_in_both_directions"]: world_size * want})


def test_one_all_reduce_in_forward_and_one_in_backward(solution):
    results = run(solution, 4, seed=5, x_shape=(3, D))
    size = 3 * D
    for rank, res in enumerate(results):
        for phase in ("forward", "backward"):
            calls = [(name, n) for p, name, n in res["log"] if p == phase]
            assert calls == [("all_reduce", size)], (
                f"rank {rank}: {phase} communication was {calls or 'nothing'}; expected exactly one all_reduce of "
                f"{size} elements ({'the output y' if phase == 'forward' else 'the gradient of x'}). "
                + ("The column-parallel linear needs no communication in forward." if phase == "forward" else
                   "The weight shards' gradients are local; only x's gradient is summed over ranks."))
