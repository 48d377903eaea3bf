"""Correct alternative for nms_iou: vectorised IoU from areas, NMS over a suppression matrix, and per-class NMS
by shifting each class's boxes so that boxes of different classes can never overlap."""

import torch


def _xyxy(boxes, fmt):
    if fmt == "xywh":
        return torch.cat([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], dim=1)
    if fmt != "xyxy":
        raise ValueError("fmt must be xyxy or xywh")
    return boxes


def box_iou(a, b, fmt="xyxy"):
    a, b = _xyxy(a, fmt), _xyxy(b, fmt)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    iw = (torch.min(a[:, None, 2], b[None, :, 2]) - torch.max(a[:, None, 0], b[None, :, 0])).clamp_min(0)
    ih = (torch.min(a[:, None, 3], b[None, :, 3]) - torch.max(a[:, None, 1], b[None, :, 1])).clamp_min(0)
    inter = iw * ih
    union = area_a[:, None] + area_b[None, :] - inter
    out = torch.zeros_like(inter)
    ok = union > 0
    out[ok] = inter[ok] / union[ok]
    return out


def nms(boxes, scores, iou_threshold=0.5):
    order = torch.sort(scores, descending=True, stable=True).indices
    overlaps = box_iou(boxes[order], boxes[order]) > iou_threshold
    alive = torch.ones(len(order), dtype=torch.bool)
    for r in range(len(order)):
        if alive[r]:
            alive[r + 1:] &= ~overlaps[r, r + 1:]
    return order[alive]


def batched_nms(boxes, scores, classes, iou_threshold=0.5):
    if boxes.numel() == 0:
        return torch.zeros(0, dtype=torch.int64)
    span = boxes.max() - boxes.min() + 1
    shifted = boxes + (classes.to(boxes.dtype) * span)[:, None]
    return nms(shifted, scores, iou_threshold)
