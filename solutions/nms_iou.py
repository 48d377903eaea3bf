"""Reference solution for the `nms_iou` exercise: pairwise IoU (xyxy, xywh) and greedy non-maximum suppression."""

import torch


def _to_xyxy(boxes, fmt):
    if fmt == "xyxy":
        return boxes
    if fmt == "xywh":
        x, y, w, h = boxes.unbind(-1)
        return torch.stack([x, y, x + w, y + h], dim=-1)
    raise ValueError(f"fmt must be 'xyxy' or 'xywh', got {fmt!r}")


def _area(b):
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def box_iou(a, b, fmt="xyxy"):
    a, b = _to_xyxy(a, fmt), _to_xyxy(b, fmt)
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return torch.where(union > 0, inter / union, torch.zeros_like(inter))


def nms(boxes, scores, iou_threshold=0.5):
    order = torch.argsort(scores, descending=True, stable=True)
    iou = box_iou(boxes, boxes)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return torch.tensor(keep, dtype=torch.long)


def batched_nms(boxes, scores, classes, iou_threshold=0.5):
    kept = [torch.zeros(0, dtype=torch.long)]
    for c in torch.unique(classes):
        idx = torch.nonzero(classes == c).flatten()
        kept.append(idx[nms(boxes[idx], scores[idx], iou_threshold)])
    keep = torch.sort(torch.cat(kept)).values  # by index first, so equal scores keep the lower index first
    return keep[torch.argsort(scores[keep], descending=True, stable=True)]
