"""Correct alternative for lstm_cell: the LSTM as one matmul of [x, h] with [W_ih | W_hh]; GRU gates via einsum."""

import torch


def lstm_cell(x, state, W_ih, W_hh, b_ih=None, b_hh=None):
    batch, hidden = x.shape[0], W_hh.shape[1]
    h, c = (x.new_zeros(batch, hidden), x.new_zeros(batch, hidden)) if state is None else state
    W = torch.cat([W_ih, W_hh], dim=1)                 # (4H, D + H)
    z = torch.cat([x, h], dim=1) @ W.T
    for bias in (b_ih, b_hh):
        if bias is not None:
            z = z + bias
    i, f, g, o = z.split(hidden, dim=1)
    c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_next), c_next


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    hidden = W_hh.shape[1]
    h = x.new_zeros(x.shape[0], hidden) if h is None else h
    a = torch.einsum("bd,gd->bg", x, W_ih) + (0 if b_ih is None else b_ih)
    b = torch.einsum("bh,gh->bg", h, W_hh) + (0 if b_hh is None else b_hh)
    ar, az, an = a.split(hidden, dim=1)
    br, bz, bn = b.split(hidden, dim=1)
    reset, update = torch.sigmoid(ar + br), torch.sigmoid(az + bz)
    new = torch.tanh(an + reset * bn)
    return update * h + (1 - update) * new
