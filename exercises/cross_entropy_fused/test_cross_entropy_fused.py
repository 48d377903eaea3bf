"""Hidden suite for cross_entropy_fused: fused loss + gradient kernel vs torch cross_entropy in float64."""

from quizcli.testing_kernels import (DEVICE, INTERPRETER, assert_kernel_did_the_work, assert_kernel_launched,  # noqa: I001
                                     assert_within_ulps, guarded, padded, require_memory_safe,
                                     sizes, speed_note)

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, is_close, mistake_labels

LABELS = mistake_labels(__file__)

# (n_rows, vocab): vocabularies that are not powers of two, some wider than one block
SHAPES = sizes([(1, 1), (3, 7), (5, 100), (4, 3000), (9, 33), (6, 5001)],
               [(1, 1), (3, 7), (5, 100), (64, 3000), (256, 50_257), (1024, 32_001)])


def make(n, v, seed, scale=3.0, shift=0.0, dtype=torch.float32, n_ignored=0, ignore_index=-100):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, v, generator=g, dtype=torch.float32).double() * scale + shift
    targets = torch.randint(0, v, (n,), generator=g)
    if n_ignored:
        targets[torch.randperm(n, generator=g)[:n_ignored]] = ignore_index
    return logits.to(dtype).to(DEVICE), targets.to(DEVICE)


def reference(logits, targets, ignore_index=-100):
    x = logits.double().detach().clone().requires_grad_(True)
    loss = F.cross_entropy(x, targets, ignore_index=ignore_index)
    loss.backward()
    return loss.detach(), x.grad


def call(solution, logits, targets, **kw):
    result = solution.cross_entropy(logits, targets, **kw)
    assert isinstance(result, tuple) and len(result) == 2, "cross_entropy must return (loss, grad)"
    loss, grad = result
    assert loss is not None and grad is not None, "cross_entropy returned None for loss or grad"
    return loss, grad


def wrong_all_rows(logits, targets, ignore_index=-100):
    loss, grad = reference(logits, targets, ignore_index)
    n_valid = int((targets != ignore_index).sum())
    return loss * n_valid / len(targets), grad * n_valid / len(targets)


# Guarded tests first: an unmasked store there hits a guard region, not someone else's memory.
@pytest.mark.parametrize("shape", [(3, 7), (4, 100), (2, 3000), (5, 1)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_tail_columns_masked_and_row_strides_used(solution, shape):
    """logits are a slice of a wider NaN-padded tensor; grad is written into a sentinel-filled buffer."""
    logits, targets = make(*shape, seed=sum(shape))
    lp = padded(logits, row_pad=5, pad=4096)
    guard = guarded(shape, torch.float32, row_pad=3, pad=4096)
    loss, grad = call(solution, lp, targets, grad_out=guard.tensor)
    guard.check("grad")
    ref_loss, ref_grad = reference(logits, targets)
    assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6, name=f"loss {shape} (strided rows)")
    assert_close(guard.tensor, ref_grad, rtol=1e-4, atol=1e-7, name=f"grad {shape} (strided rows)")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_matches_torch_cross_entropy(solution, shape, record_property):
    require_memory_safe()
    logits, targets = make(*shape, seed=shape[0] * 7 + shape[1])
    loss, grad = call(solution, logits, targets)
    ref_loss, ref_grad = reference(logits, targets)
    assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6, name=f"loss {shape}", dtype="float32")
    assert_close(grad, ref_grad, rtol=1e-4, atol=1e-7, name=f"grad {shape}", dtype="float32",
                 mistakes={LABELS["grad_missing_onehot"]: torch.softmax(logits.double(), -1) / shape[0]})
    if shape == SHAPES[-1]:
        def torch_version():
            x = logits.detach().requires_grad_(True)
            F.cross_entropy(x, targets).backward()
        record_property("note", speed_note(lambda: solution.cross_entropy(logits, targets), torch_version))
    elif INTERPRETER:
        record_property("note", "interpreter: correctness only")


def test_ignored_rows_excluded_from_mean_and_gradient(solution):
    require_memory_safe()
    logits, targets = make(8, 300, seed=3, n_ignored=3)
    loss, grad = call(solution, logits, targets)
    ref_loss, ref_grad = reference(logits, targets)
    wrong_loss, wrong_grad = wrong_all_rows(logits, targets)
    assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6, name="loss with 3 of 8 rows ignored",
                 mistakes={LABELS["mean_over_all_rows"]: wrong_loss})
    ignored = (targets == -100).cpu()
    leak = float(grad.double().cpu()[ignored].abs().max())
    assert leak == 0.0, f"rows with target = ignore_index must get a zero gradient, got values up to {leak:.3g}"
    assert_close(grad, ref_grad, rtol=1e-4, atol=1e-7, name="grad with 3 of 8 rows ignored",
                 mistakes={LABELS["mean_over_all_rows"]: wrong_grad})


@pytest.mark.parametrize("ignore_index", [-1, 0], ids=["minus_1", "token_0"])
def test_custom_ignore_index(solution, ignore_index):
    """ignore_index may be negative or a vocabulary id (a padding token such as 0): a row is ignored exactly when
    its target equals ignore_index, not when the target is negative."""
    require_memory_safe()
    logits, targets = make(6, 50, seed=4, n_ignored=2, ignore_index=ignore_index)
    loss, grad = call(solution, logits, targets, ignore_index=ignore_index)
    ref_loss, ref_grad = reference(logits, targets, ignore_index=ignore_index)
    assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6, name=f"loss with ignore_index={ignore_index}")
    assert_close(grad, ref_grad, rtol=1e-4, atol=1e-7, name=f"grad with ignore_index={ignore_index}")


def test_large_logits_do_not_overflow(solution):
    """Logits around 1000: exp overflows float32 unless the (running) max is subtracted first."""
    require_memory_safe()
    logits, targets = make(4, 2000, seed=5, scale=30.0, shift=1000.0)
    loss, grad = call(solution, logits, targets)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all(), (
        "inf/NaN for logits around 1000: compute logsumexp as m + log(Σ exp(x − m)) with the running max m")
    ref_loss, ref_grad = reference(logits, targets)
    assert_close(loss, ref_loss, rtol=1e-5, atol=1e-4, name="loss with large logits")
    assert_close(grad, ref_grad, rtol=1e-4, atol=1e-6, name="grad with large logits")


def test_running_sum_rescaled_when_max_grows(solution):
    """Logits rise along the vocabulary, so every new chunk raises the running max."""
    require_memory_safe()
    logits, targets = make(3, 4000, seed=6, scale=0.5)
    logits = logits + torch.linspace(0, 40, 4000, device=DEVICE)
    loss, grad = call(solution, logits, targets)
    ref_loss, ref_grad = reference(logits, targets)
    try:
        assert_close(loss, ref_loss, rtol=1e-5, atol=1e-5, name="loss with a growing running max")
        assert_close(grad, ref_grad, rtol=1e-4, atol=1e-7, name="grad with a growing running max")
    except AssertionError as exc:
        # the same rows reversed have their max in the first chunk: right there means the rescaling is missing
        flipped_loss, _ = call(solution, logits.flip(-1).contiguous(), logits.shape[1] - 1 - targets)
        if not is_close(flipped_loss, ref_loss, rtol=1e-5, atol=1e-5):
            raise
        raise AssertionError(f"{exc}\n  the same rows reversed (max in the first chunk) come out right: when the "
                             "running max grows from m to m_new, the running sum must be multiplied by "
                             "exp(m − m_new) before adding the new chunk") from None


@pytest.mark.parametrize("shift", [-20.0, -200.0], ids=["around_-20", "around_-200"])
def test_padding_lanes_do_not_join_the_sum(solution, shift):
    """Vocabulary 1025 (one lane past a power of two), all logits negative: a padding lane loaded as 0 dominates
    the logsumexp, and around -200 so does one loaded as a finite 'very negative' constant (-100)."""
    require_memory_safe()
    logits, targets = make(4, 1025, seed=7, scale=2.0, shift=shift)
    loss, grad = call(solution, logits, targets)
    ref_loss, ref_grad = reference(logits, targets)
    try:
        assert_close(loss, ref_loss, rtol=1e-5, atol=1e-4, name=f"loss with logits around {shift:g} (vocab 1025)")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n  the padding lanes of the last chunk joined the logsumexp: load them with "
                             "other=-float('inf'); no finite constant is small enough for every row") from None
    assert_close(grad, ref_grad, rtol=1e-4, atol=1e-7, name=f"grad with logits around {shift:g} (vocab 1025)")


def test_every_output_element_comes_from_the_kernel(solution):
    """With the launches skipped neither the loss nor the gradient may get values (the loss may be the mean
    of per-row losses the kernel wrote)."""
    require_memory_safe()
    logits, targets = make(5, 90, seed=10, n_ignored=1)
    logits = padded(logits, row_pad=3)
    grad_out = torch.zeros(5, 90, device=DEVICE)
    assert_kernel_did_the_work(solution, lambda: solution.cross_entropy(logits, targets, grad_out=grad_out),
                               inputs=(logits, targets), names=["loss", "grad"])
    one_row, target = make(1, 40, seed=11)  # no special case for a single row either
    assert_kernel_did_the_work(solution, lambda: solution.cross_entropy(one_row, target), inputs=(one_row, target),
                               names=["loss of a single row", "grad of a single row"])


def test_float16_logits(solution):
    """float16 logits: loss in float32, the float16 gradient within 1 ulp of the exact one (float32 inside)."""
    require_memory_safe()
    logits, targets = make(6, 700, seed=8, dtype=torch.float16)
    loss, grad = call(solution, logits, targets)
    ref_loss, ref_grad = reference(logits, targets)
    assert_close(loss, ref_loss, rtol=1e-4, atol=1e-4, name="loss (float16 logits)", dtype="float32")
    assert grad.dtype == torch.float16, f"grad: dtype {grad.dtype}, expected float16 (like the logits)"
    assert_within_ulps(grad, ref_grad, name="grad (float16 logits)")


def test_kernel_is_launched(solution):
    require_memory_safe()
    logits, targets = make(4, 40, seed=2)
    assert_kernel_launched(solution.cross_entropy_kernel, lambda: solution.cross_entropy(logits, targets))


@pytest.mark.skipif(INTERPRETER, reason="needs a CUDA GPU")
def test_speed_2048_rows_llama3_vocabulary(solution, record_property):
    """2048 rows x 128256 (LLaMA 3's vocabulary), float16: loss and gradient at full size, then the speed."""
    require_memory_safe()
    logits, targets = make(2048, 128_256, seed=21, dtype=torch.float16, n_ignored=100)
    loss, grad = call(solution, logits, targets)
    x = logits.float().requires_grad_(True)
    ref_loss = F.cross_entropy(x, targets)
    ref_loss.backward()
    assert_close(loss, ref_loss.detach(), rtol=1e-3, atol=1e-3, name="loss (2048 x 128256, float16)")
    # grad entries are about 1 / (n_valid · V) ≈ 4e-9: below float16's normal range, so compare absolutely
    assert_close(grad, x.grad, rtol=1e-2, atol=1e-7, name="grad (2048 x 128256, float16)", dtype="float16")
    del x

    def torch_version():
        x = logits.detach().requires_grad_(True)
        F.cross_entropy(x, targets).backward()
    record_property("note", speed_note(lambda: solution.cross_entropy(logits, targets), torch_version))
