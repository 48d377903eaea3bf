"""Correct alternative for lstm_cell: slice each gate's rows out of the weights and use addmm gate by gate."""

import torch


def _gate(k, hidden, x, h, W_ih, W_hh, b_ih, b_hh):
    rows = slice(k * hidden, (k + 1) * hidden)
    out = x @ W_ih[rows].T + h @ W_hh[rows].T
    for b in (b_ih, b_hh):
        if b is not None:
            out = out + b[rows]
    return out


def lstm_cell(x, state, W_ih, W_hh, b_ih=None, b_hh=None):
    hidden = W_hh.shape[1]
    h, c = state if state is not None else (torch.zeros(x.shape[0], hidden, dtype=x.dtype),) * 2
    pre = [_gate(k, hidden, x, h, W_ih, W_hh, b_ih, b_hh) for k in range(4)]
    i, f, o = torch.sigmoid(pre[0]), torch.sigmoid(pre[1]), torch.sigmoid(pre[3])
    c2 = f * c + i * torch.tanh(pre[2])
    return o * torch.tanh(c2), c2


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    hidden = W_hh.shape[1]
    if h is None:
        h = torch.zeros(x.shape[0], hidden, dtype=x.dtype)
    zero = torch.zeros(3 * hidden, dtype=x.dtype)
    bi = zero if b_ih is None else b_ih
    bh = zero if b_hh is None else b_hh
    r = torch.sigmoid(torch.addmm(bi[:hidden], x, W_ih[:hidden].T) + torch.addmm(bh[:hidden], h, W_hh[:hidden].T))
    z = torch.sigmoid(torch.addmm(bi[hidden:2 * hidden], x, W_ih[hidden:2 * hidden].T)
                      + torch.addmm(bh[hidden:2 * hidden], h, W_hh[hidden:2 * hidden].T))
    n = torch.tanh(torch.addmm(bi[2 * hidden:], x, W_ih[2 * hidden:].T)
                   + r * torch.addmm(bh[2 * hidden:], h, W_hh[2 * hidden:].T))
    return n + z * (h - n)
