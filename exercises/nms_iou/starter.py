"""Box IoU and non-maximum suppression (NMS) in torch, without torchvision.

Boxes are float tensors of shape (N, 4) in CONTINUOUS coordinates:
  fmt="xyxy": (x1, y1, x2, y2), x1 <= x2, y1 <= y2, area = (x2 − x1)·(y2 − y1)  (no +1);
  fmt="xywh": (x, y, w, h) with (x, y) the TOP-LEFT corner.
Inputs must not be modified.
"""

import torch


def box_iou(a, b, fmt="xyxy"):
    """Pairwise IoU: (N, M) tensor for a (N, 4) and b (M, 4), in their dtype. A pair whose union is 0
    (zero-area boxes) has IoU 0. Unknown fmt: ValueError."""
    raise NotImplementedError


def nms(boxes, scores, iou_threshold=0.5):
    """Greedy NMS on xyxy boxes (N, 4) with scores (N,).

    Visit the boxes by decreasing score (equal scores: lower index first); keep a box unless its IoU with an
    already kept box is > iou_threshold (strictly). Returns the kept indices, int64, in the order kept.
    """
    raise NotImplementedError


def batched_nms(boxes, scores, classes, iou_threshold=0.5):
    """NMS within each class only (classes: (N,) int64): boxes of different classes never suppress each other.
    Returns the kept indices, int64, by decreasing score (equal scores: lower index first)."""
    raise NotImplementedError
