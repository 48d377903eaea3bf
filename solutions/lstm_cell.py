"""Reference solution for the `lstm_cell` exercise: one step of an LSTM and of a GRU, in nn.LSTMCell/nn.GRUCell layout."""

import torch


def _affine(x, W, b):
    out = x @ W.T
    return out if b is None else out + b


def lstm_cell(x, state, W_ih, W_hh, b_ih=None, b_hh=None):
    hidden = W_hh.shape[1]
    if state is None:
        zeros = x.new_zeros(x.shape[0], hidden)
        state = (zeros, zeros)
    h, c = state
    gates = _affine(x, W_ih, b_ih) + _affine(h, W_hh, b_hh)  # (B, 4H), rows of W ordered i, f, g, o as torch
    i, f, g, o = gates.chunk(4, dim=1)
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
    g = torch.tanh(g)  # the cell candidate is a tanh, the three gates are sigmoids
    c_new = f * c + i * g
    h_new = o * torch.tanh(c_new)
    return h_new, c_new


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    if h is None:
        h = x.new_zeros(x.shape[0], W_hh.shape[1])
    gx = _affine(x, W_ih, b_ih).chunk(3, dim=1)  # rows ordered r, z, n as torch
    gh = _affine(h, W_hh, b_hh).chunk(3, dim=1)
    r = torch.sigmoid(gx[0] + gh[0])
    z = torch.sigmoid(gx[1] + gh[1])
    n = torch.tanh(gx[2] + r * gh[2])  # torch: the reset gate scales (W_hn·h + b_hn), after the matmul
    return (1 - z) * n + z * h
