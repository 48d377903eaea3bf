"""Hidden suite for lstm_cell: one LSTM / GRU step against nn.LSTMCell, nn.GRUCell and nn.LSTM (float64)."""

import pytest
import torch
import torch.nn.functional as F

from quizcli.testing import assert_close, mistake_labels

LABELS = mistake_labels(__file__)
F64 = torch.float64


def module(kind, d, h, bias, seed, dtype=F64):
    torch.manual_seed(seed)
    return (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(d, h, bias=bias, dtype=dtype)


def weights(m):
    return m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh


def inputs(seed, b, d, h, dtype=F64, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return tuple(scale * torch.randn(s, generator=g, dtype=dtype) for s in ((b, d), (b, h), (b, h)))


def lstm_mistakes(x, h, c, W_ih, W_hh, b_ih, b_hh):
    gates = F.linear(x, W_ih, b_ih) + F.linear(h, W_hh, b_hh)
    i, f, g, o = (t.detach() for t in gates.chunk(4, dim=1))
    s = torch.sigmoid
    return {
        "lstm_gate_order": (s(f) * c + s(i) * torch.tanh(o)),   # the g and o blocks swapped
        "candidate_sigmoid": s(f) * c + s(i) * s(g),
    }, {"output_without_tanh": s(o) * (s(f) * c + s(i) * torch.tanh(g))}


def gru_mistakes(x, h, W_ih, W_hh, b_ih, b_hh):
    rx, zx, nx = F.linear(x, W_ih, b_ih).detach().chunk(3, dim=1)
    rh, zh, nh = F.linear(h, W_hh, b_hh).detach().chunk(3, dim=1)
    s = torch.sigmoid
    r, z = s(rx + rh), s(zx + zh)
    b_hn = None if b_hh is None else b_hh.detach().chunk(3)[2]
    before = torch.tanh(nx + F.linear(r * h, W_hh.detach().chunk(3)[2], b_hn))
    n = torch.tanh(nx + r * nh)
    swapped_n = torch.tanh(nx + z * nh)
    return {"gru_reset_before_matmul": (1 - z) * before + z * h, "gru_update_swapped": z * n + (1 - z) * h,
            "gru_gate_order": (1 - r) * swapped_n + r * h}


def named(d, want):
    return {LABELS[k]: v for k, v in d.items() if not torch.allclose(v, want, rtol=1e-9, atol=1e-12)}


@pytest.mark.parametrize("b,d,h,bias,seed", [(4, 5, 3, True, 0), (1, 2, 6, True, 1), (3, 7, 1, False, 2),
                                             (6, 4, 4, True, 3)])
def test_lstm_step_matches_lstmcell(solution, b, d, h, bias, seed):
    m = module("lstm", d, h, bias, seed)
    x, h0, c0 = inputs(seed + 10, b, d, h)
    got_h, got_c = solution.lstm_cell(x, (h0, c0), *weights(m))
    want_h, want_c = m(x, (h0, c0))
    wrong_c, wrong_h = lstm_mistakes(x, h0, c0, *weights(m))
    what = f"(B={b}, D={d}, H={h}, bias={bias})"
    assert_close(got_c, want_c, rtol=1e-10, atol=1e-12, name=f"new cell state c {what}", mistakes=named(wrong_c, want_c))
    assert_close(got_h, want_h, rtol=1e-10, atol=1e-12, name=f"new hidden state h {what}",
                 mistakes=named(wrong_h, want_h))


@pytest.mark.parametrize("b,d,h,bias,seed", [(4, 5, 3, True, 4), (1, 2, 6, True, 5), (3, 7, 1, False, 6),
                                             (5, 3, 5, True, 7)])
def test_gru_step_matches_grucell(solution, b, d, h, bias, seed):
    m = module("gru", d, h, bias, seed)
    x, h0, _ = inputs(seed + 10, b, d, h)
    got = solution.gru_cell(x, h0, *weights(m))
    want = m(x, h0)
    assert_close(got, want, rtol=1e-10, atol=1e-12, name=f"new hidden state (B={b}, D={d}, H={h}, bias={bias})",
                 mistakes=named(gru_mistakes(x, h0, *weights(m)), want))


def test_missing_state_means_zeros(solution):
    lstm, gru = module("lstm", 3, 4, True, 8), module("gru", 3, 4, True, 9)
    x, _, _ = inputs(11, 2, 3, 4)
    got_h, got_c = solution.lstm_cell(x, None, *weights(lstm))
    want_h, want_c = lstm(x)
    assert_close(got_h, want_h, rtol=1e-10, atol=1e-12, name="LSTM h with state=None (zeros)")
    assert_close(got_c, want_c, rtol=1e-10, atol=1e-12, name="LSTM c with state=None (zeros)")
    assert_close(solution.gru_cell(x, None, *weights(gru)), gru(x), rtol=1e-10, atol=1e-12, name="GRU with h=None")


def test_unrolled_cell_equals_nn_lstm(solution):
    d, h, steps = 3, 5, 6
    lstm = torch.nn.LSTM(d, h, dtype=F64)
    torch.manual_seed(12)
    seq = torch.randn(steps, 2, d, dtype=F64)
    want, _ = lstm(seq)
    state = None
    outs = []
    for t in range(steps):
        state = solution.lstm_cell(seq[t], state, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0,
                                   lstm.bias_hh_l0)
        outs.append(state[0])
    assert_close(torch.stack(outs), want, rtol=1e-9, atol=1e-12, name=f"{steps} unrolled steps against nn.LSTM")


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradients_match_autograd(solution, kind):
    m = module(kind, 4, 3, True, 13)
    x0, h0, c0 = inputs(14, 3, 4, 3)
    mine = [t.clone().requires_grad_() for t in (x0, h0, c0)]
    ref = [t.clone().requires_grad_() for t in (x0, h0, c0)]
    up = torch.randn(3, 3, generator=torch.Generator().manual_seed(15), dtype=F64)
    if kind == "lstm":
        hm, cm = solution.lstm_cell(mine[0], (mine[1], mine[2]), *weights(m))
        (hm * up + cm).sum().backward()
        hr, cr = m(ref[0], (ref[1], ref[2]))
        (hr * up + cr).sum().backward()
    else:
        (solution.gru_cell(mine[0], mine[1], *weights(m)) * up).sum().backward()
        (m(ref[0], ref[1]) * up).sum().backward()
    for name, a, b in zip(("x", "h", "c"), mine, ref):
        if b.grad is None:
            continue
        assert a.grad is not None, f"{kind}: no gradient reached {name}"
        assert_close(a.grad, b.grad, rtol=1e-9, atol=1e-12, name=f"{kind}: d loss / d {name}")


def test_saturated_gates_and_float32(solution):
    m = module("lstm", 3, 2, True, 16, dtype=torch.float32)
    x, h0, c0 = inputs(17, 4, 3, 2, dtype=torch.float32, scale=40.0)
    got_h, got_c = solution.lstm_cell(x, (h0, c0), *weights(m))
    want_h, want_c = m(x, (h0, c0))
    assert_close(got_h, want_h, rtol=1e-5, atol=1e-6, dtype="float32", name="float32 LSTM h with saturated gates")
    assert_close(got_c, want_c, rtol=1e-5, atol=1e-5, dtype="float32", name="float32 LSTM c with saturated gates")


def test_transposed_input_view(solution):
    m = module("gru", 4, 3, True, 18)
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(19), dtype=F64).T  # (5, 4), not contiguous
    assert_close(solution.gru_cell(x, None, *weights(m)), m(x), rtol=1e-10, atol=1e-12, name="GRU on a transposed x")


def test_sizes_of_the_variant(solution, variant):
    b, d, h = variant.get("batch", 8), variant.get("input", 16), variant.get("hidden", 32)
    m = module("lstm", d, h, True, 20)
    x, h0, c0 = inputs(21, b, d, h)
    got_h, got_c = solution.lstm_cell(x, (h0, c0), *weights(m))
    want_h, want_c = m(x, (h0, c0))
    assert_close(got_c, want_c, rtol=1e-10, atol=1e-12, name=f"c (B={b}, D={d}, H={h})")
    assert_close(got_h, want_h, rtol=1e-10, atol=1e-12, name=f"h (B={b}, D={d}, H={h})")
