"""One step of an LSTM and of a GRU, with the weight layout of torch.nn.LSTMCell and torch.nn.GRUCell."""

import torch


def lstm_cell(x, state, W_ih, W_hh, b_ih=None, b_hh=None):
    """x: (B, D); state: (h, c), each (B, H), or None (zeros).
    W_ih: (4H, D), W_hh: (4H, H), b_ih, b_hh: (4H,) or None — rows in torch's gate order: input i, forget f,
    cell candidate g, output o.
    Returns (h_new, c_new), each (B, H), differentiable, in the dtype of x.
    """
    raise NotImplementedError


def gru_cell(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """x: (B, D); h: (B, H) or None (zeros).
    W_ih: (3H, D), W_hh: (3H, H), b_ih, b_hh: (3H,) or None — rows in torch's order: reset r, update z, new n.
    Returns h_new (B, H), equal to torch.nn.GRUCell.
    """
    raise NotImplementedError
