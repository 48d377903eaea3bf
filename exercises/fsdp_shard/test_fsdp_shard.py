"""Hidden suite for fsdp_shard: an FSDP-style sharded linear layer on real gloo ranks (forked processes)."""


import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, known_mistake, mistake_labels
from quizcli.testing_distributed import held_elements, run_ranks, watched_calls

LABELS = mistake_labels(__file__)

TIMEOUT = 15
IN, HID, OUT = 16, 12, 8      # weights larger than the activations, so keeping them is visible
TOL = {"rtol": 1e-10, "atol": 1e-12}
LOGGED = ["all_reduce", "all_reduce_coalesced", "all_gather", "all_gather_into_tensor", "reduce_scatter",
          "reduce_scatter_tensor", "broadcast", "reduce", "send", "recv", "all_to_all", "all_to_all_single"]
GATHERS = {"all_gather", "all_gather_into_tensor", "broadcast", "recv", "all_to_all", "all_to_all_single"}


def make(seed, batch_shape, world_size):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    params = [r(HID, IN) / IN ** 0.5, r(HID), r(OUT, HID) / HID ** 0.5, r(OUT)]
    xs = [r(*batch_shape, IN) for _ in range(world_size)]
    gys = [r(*batch_shape, OUT) for _ in range(world_size)]
    return params, xs, gys


def padded_slices(weight, bias, world_size):
    flat = torch.cat([weight.reshape(-1), bias])
    size = -(-flat.numel() // world_size)
    flat = F.pad(flat, (0, size * world_size - flat.numel()))
    return [flat[r * size:(r + 1) * size] for r in range(world_size)]


def storage_elements(tensors):
    seen = {}
    for t in tensors:
        seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes() // t.element_size()
    return sum(seen.values())


def logging_collectives(log, phase):
    return watched_calls(LOGGED, lambda kind, tensor, peer: log.append((phase[0], kind)))


def fsdp_worker(rank, world_size, solution, seed, batch_shape, steps, lr):
    params, xs, gys = make(seed, batch_shape, world_size)
    layers = [solution.FSDPLinear(params[0].clone(), params[1].clone()),
              solution.FSDPLinear(params[2].clone(), params[3].clone())]
    shards0 = [layer.shard.detach().clone() for layer in layers]
    held = [held_elements(layer) for layer in layers]
    out, saved, log, phase, graph = [], [], [], ["forward"], None
    for step in range(steps):
        x = xs[rank].clone().requires_grad_()
        phase[0] = "forward"
        with logging_collectives(log, phase), torch.autograd.graph.saved_tensors_hooks(
                lambda t: (saved.append(t), t)[1], lambda t: t):
            y = layers[1](torch.tanh(layers[0](x)))
        graph = held_elements(y, exclude=[x]) if graph is None else graph  # what the autograd graph keeps alive
        phase[0] = "backward"
        with logging_collectives(log, phase):
            (y * gys[rank]).sum().backward()
        out.append({"y": y.detach(), "x_grad": x.grad,
                    "shard_grads": [None if l.shard.grad is None else l.shard.grad.clone() for l in layers]})
        with torch.no_grad():
            for layer in layers:
                if layer.shard.grad is not None:
                    layer.shard -= lr * layer.shard.grad
                    layer.shard.grad = None
    return {"steps": out, "shards0": shards0, "requires_grad": [l.shard.requires_grad for l in layers],
            "held": held, "held_after": [held_elements(layer) for layer in layers], "module": held_elements(solution),
            "saved": storage_elements(saved) if steps == 1 else None, "graph": graph, "log": log}


def run(solution, world_size, seed=0, batch_shape=(3,), steps=1, lr=0.1):
    return run_ranks(fsdp_worker, world_size, solution, seed, batch_shape, steps, lr, timeout=TIMEOUT)


def reference(seed, batch_shape, world_size, steps=1, lr=0.1):
    """Per step: per-rank y and x.grad, and per-rank shard gradients (correct and classic mistakes)."""
    params, xs, gys = make(seed, batch_shape, world_size)
    params = [p.clone() for p in params]
    history = []
    for _ in range(steps):
        ys, xgrads, local = [], [], []
        for r in range(world_size):
            leaves = [p.clone().requires_grad_() for p in params]
            x = xs[r].clone().requires_grad_()
            y = F.linear(torch.tanh(F.linear(x, leaves[0], leaves[1])), leaves[2], leaves[3])
            (y * gys[r]).sum().backward()
            ys.append(y.detach())
            xgrads.append(x.grad)
            local.append([l.grad for l in leaves])
        mean = [sum(g[i] for g in local) / world_size for i in range(4)]
        slices = lambda grads: [padded_slices(grads[0], grads[1], world_size),  # noqa: E731
                                padded_slices(grads[2], grads[3], world_size)]
        history.append({"y": ys, "x_grad": xgrads, "mean": slices(mean),
                        "summed": slices([world_size * g for g in mean]), "local": [slices(g) for g in local]})
        params = [p - lr * g for p, g in zip(params, mean)]
    return history


@pytest.mark.parametrize("world_size", [2, 3, 4])
def test_each_rank_keeps_only_its_padded_slice(solution, world_size):
    results = run(solution, world_size)
    params, _, _ = make(0, (3,), world_size)
    expected = [padded_slices(params[0], params[1], world_size), padded_slices(params[2], params[3], world_size)]
    for rank, res in enumerate(results):
        for i, layer in enumerate(("first", "second")):
            assert_close(res["shards0"][i], expected[i][rank], rtol=0, atol=0,
                         name=f"rank {rank}: {layer} layer's shard (flat = [W.flatten(), b], zero-padded to a multiple "
                              f"of {world_size}, slice {rank})")
            assert res["requires_grad"][i], f"rank {rank}: {layer} layer's shard must be a leaf with requires_grad=True"
            size = expected[i][rank].numel()
            assert res["held"][i] <= size + 8, (
                f"rank {rank}: the {layer} layer object holds tensors of {res['held'][i]} elements; its shard has "
                f"{size}. FSDP keeps no full-size copy of the parameters between calls.")
            assert res["held_after"][i] <= 2 * size + 8, (  # the shard and its gradient
                f"rank {rank}: after forward and backward the {layer} layer object holds {res['held_after'][i]} "
                f"elements (its shard and shard.grad have {2 * size}): a full-size copy was kept on it")
        assert res["module"] <= 16, (
            f"rank {rank}: {res['module']} tensor elements are kept at module or class level of your solution "
            "(a cache?): FSDP keeps no full-size copy of the parameters between calls")


@pytest.mark.parametrize("world_size,batch_shape", [(2, (3,)), (3, (4,)), (4, (2, 3))])
def test_forward_matches_unsharded_layers(solution, world_size, batch_shape):
    results = run(solution, world_size, seed=1, batch_shape=batch_shape)
    ref = reference(1, batch_shape, world_size)[0]
    for rank, res in enumerate(results):
        assert_close(res["steps"][0]["y"], ref["y"][rank], **TOL, name=f"rank {rank}: output of the two sharded layers")


@pytest.mark.parametrize("world_size", [2, 4])
def test_input_gradient_matches_unsharded_layers(solution, world_size):
    results = run(solution, world_size, seed=2)
    ref = reference(2, (3,), world_size)[0]
    for rank, res in enumerate(results):
        got = res["steps"][0]["x_grad"]
        assert got is not None, f"rank {rank}: x.grad is None: the output is not differentiable w.r.t. x"
        assert_close(got, ref["x_grad"][rank], **TOL, name=f"rank {rank}: x.grad (this rank's own input)")


@pytest.mark.parametrize("world_size,batch_shape", [(2, (3,)), (3, (2,)), (4, (2, 2))])
def test_shard_gradient_is_slice_of_rank_averaged_gradient(solution, world_size, batch_shape):
    results = run(solution, world_size, seed=3, batch_shape=batch_shape)
    ref = reference(3, batch_shape, world_size)[0]
    for rank, res in enumerate(results):
        for i, layer in enumerate(("first", "second")):
            got = res["steps"][0]["shard_grads"][i]
            assert got is not None, f"rank {rank}: the {layer} layer's shard.grad is None after backward"
            assert_close(got, ref["mean"][i][rank], **TOL, name=f"rank {rank}: {layer} layer's shard.grad", mistakes={
                LABELS["grads_summed"]: ref["summed"][i][rank],
                LABELS["no_reduce_scatter"]: ref["local"][rank][i][rank]})


def test_full_parameters_are_not_saved_for_backward(solution):
    world_size = 4
    results = run(solution, world_size, seed=4)
    x_size, hidden_size = 3 * IN, 3 * HID
    shard1 = -(-(HID * IN + HID) // world_size)
    shard2 = -(-(OUT * HID + OUT) // world_size)
    budget = x_size + shard1 + 2 * hidden_size + shard2 + 16  # x, shard, tanh output, its input, shard
    for rank, res in enumerate(results):
        assert res["saved"] <= budget, (
            f"rank {rank}: the forward pass saved {res['saved']} elements for backward; inputs and shards need "
            f"about {budget}. Saving the gathered full weight ({HID * IN} + {OUT * HID} elements) keeps it alive: "
            "FSDP frees it after forward and gathers it again in backward."
            + known_mistake(LABELS["saves_full_weight"]))
        kept = res["graph"] - 3 * OUT  # the output y itself is part of what the walk finds
        assert kept <= budget, (
            f"rank {rank}: the autograd graph of the output keeps {kept} elements alive (saved tensors and "
            f"attributes of the backward ctx); inputs and shards need about {budget}. A gathered full weight "
            "stored on ctx (or anywhere reachable from it) is never freed."
            + known_mistake(LABELS["full_weight_on_ctx"]))


def test_gradients_are_reduce_scattered_not_all_reduced(solution):
    results = run(solution, 4, seed=5)
    for rank, res in enumerate(results):
        backward = [name for phase, name in res["log"] if phase == "backward"]
        assert "all_reduce" not in backward, (
            f"rank {rank}: backward called all_reduce ({backward}); each rank needs only its slice of the "
            "gradient: reduce-scatter moves half the data of an all-reduce and leaves no full-size gradient")
        forward = [name for phase, name in res["log"] if phase == "forward"]
        assert forward, f"rank {rank}: forward made no communication at all: the full parameter must be gathered"
        assert GATHERS & set(backward), (
            f"rank {rank}: backward gathered nothing ({backward or 'no communication'}): the full parameter was "
            "freed after forward, so backward must all-gather it again")


@pytest.mark.parametrize("world_size", [2, 4])
def test_second_step_uses_the_updated_shards(solution, world_size):
    results = run(solution, world_size, seed=6, steps=2, lr=0.3)
    ref = reference(6, (3,), world_size, steps=2, lr=0.3)
    for rank, res in enumerate(results):
        assert_close(res["steps"][1]["y"], ref[1]["y"][rank], **TOL,
                     name=f"rank {rank}: output after an SGD step on the shards (are the parameters gathered "
                          "afresh on every call?)",
                     mistakes={LABELS["caches_full_weight"]: ref[0]["y"][rank]})
        for i, layer in enumerate(("first", "second")):
            assert_close(res["steps"][1]["shard_grads"][i], ref[1]["mean"][i][rank], **TOL,
                         name=f"rank {rank}: {layer} layer's shard.grad in step 2")
