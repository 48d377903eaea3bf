"""SGD with momentum, dampening, Nesterov and (L2) weight decay, with torch.optim.SGD semantics (no torch.optim)."""

import torch


class SGD:
    """SGD over a list of tensors, updated IN PLACE (keep the same tensor objects).

    params: list of tensors (any shapes, float32 or float64).
    lr, momentum, dampening, weight_decay: floats >= 0 (lr and momentum < 0 → ValueError).
    nesterov: True needs momentum > 0 and dampening == 0, else ValueError.
    self.lr is read at every step (the caller may change it between steps).
    Per parameter and step, with g its gradient:
        g ← g + weight_decay · p
        buf ← g on the first step, else momentum · buf + (1 − dampening) · g      (only if momentum > 0)
        g ← g + momentum · buf if nesterov else buf                               (only if momentum > 0)
        p ← p − lr · g
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        raise NotImplementedError

    def step(self, grads=None):
        """One step under no_grad. grads: a list with one tensor (or None) per parameter; omitted → each p.grad.
        A None gradient skips its parameter (not updated, its buffer untouched). Gradients must not be modified."""
        raise NotImplementedError

    def zero_grad(self):
        """Set every parameter's .grad to None."""
        raise NotImplementedError
