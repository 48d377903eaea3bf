"""Pipeline parallelism (GPipe): one training step with micro-batches, stages talking via send/recv.

Rank r holds stage r of the model (a torch.nn.Module); the model is stage 0 → stage 1 → … → last.
The process group (gloo, CPU) is initialised; gpipe_step runs on every rank.
"""

import torch
import torch.distributed as dist


def gpipe_step(stage, x, y, batch_size, n_micro, in_dim):
    """Run the forward and backward of one batch through the pipeline; accumulate stage gradients.

    stage: this rank's module (float64). x: (batch_size, d_in) on rank 0, None elsewhere.
    y: (batch_size, d_out) targets on the last rank, None elsewhere. in_dim: the feature size this
    stage receives from the previous one. The batch is split into n_micro micro-batches with
    torch.tensor_split (sizes may differ by one). GPipe schedule: forward every micro-batch, then
    backward every micro-batch, last one first.
    Loss: mean squared error over the WHOLE batch and all outputs. After the call, each parameter's
    .grad (starting from None) equals the gradient of that loss in the unsplit model.
    Returns the loss (Python float) on the last rank, None on the others.
    """
    raise NotImplementedError
