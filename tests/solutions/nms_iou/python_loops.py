"""Correct alternative for nms_iou: scalar IoU in Python loops, NMS by a sorted list, per-class loops."""

import torch


def _corners(box, fmt):
    x, y, u, v = (float(t) for t in box)
    if fmt == "xywh":
        return x, y, x + u, y + v
    if fmt == "xyxy":
        return x, y, u, v
    raise ValueError(f"unknown box format {fmt!r}")


def _iou(p, q):
    iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = iw * ih
    union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
    return inter / union if union > 0 else 0.0


def box_iou(a, b, fmt="xyxy"):
    if fmt not in ("xyxy", "xywh"):
        raise ValueError(f"unknown box format {fmt!r}")
    A = [_corners(r, fmt) for r in a]
    B = [_corners(r, fmt) for r in b]
    return torch.tensor([[_iou(p, q) for q in B] for p in A], dtype=a.dtype).reshape(len(A), len(B))


def nms(boxes, scores, iou_threshold=0.5):
    s = scores.tolist()
    pending = sorted(range(len(s)), key=lambda i: (-s[i], i))
    corners = [_corners(b, "xyxy") for b in boxes]
    keep = []
    while pending:
        best = pending.pop(0)
        keep.append(best)
        pending = [j for j in pending if _iou(corners[best], corners[j]) <= iou_threshold]
    return torch.tensor(keep, dtype=torch.int64)


def batched_nms(boxes, scores, classes, iou_threshold=0.5):
    keep = []
    for c in sorted(set(classes.tolist())):
        members = [i for i, k in enumerate(classes.tolist()) if k == c]
        picked = nms(boxes[members], scores[members], iou_threshold).tolist()
        keep += [members[i] for i in picked]
    s = scores.tolist()
    return torch.tensor(sorted(keep, key=lambda i: (-s[i], i)), dtype=torch.int64)
