"""Adam and AdamW by hand (no torch.optim).

Implement the class below. Parameters are updated IN PLACE (keep the same tensor objects).
"""

import torch


class Adam:
    """Adam optimizer over a list of tensors.

    params: list of torch.Tensor / torch.nn.Parameter of any shapes, float32 or float64.
    lr: learning rate; betas: (beta1, beta2); eps: added to sqrt(v_hat) (outside the root).
    weight_decay: 0 disables it.
    decoupled: False -> L2 penalty, weight_decay * p added to the gradient (torch.optim.Adam);
               True  -> AdamW, p <- p - lr * weight_decay * p, gradient untouched (torch.optim.AdamW).
    State (m, v, step count) is kept per parameter and starts at zero.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
        raise NotImplementedError

    def step(self, grads=None):
        """One optimisation step, in place, under no_grad.

        grads: optional list of tensors, one per parameter (same shapes), or None entries.
               When omitted, use each parameter's .grad.
        A parameter whose gradient is None is skipped: not updated, its step count does not advance.
        Returns None.
        """
        raise NotImplementedError

    def zero_grad(self):
        """Set every parameter's .grad to None."""
        raise NotImplementedError
