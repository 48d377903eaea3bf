"""Hidden suite for nms_iou: IoU and (batched) NMS against float64 references written here with plain loops."""

import numpy as np
import pytest
import torch

from quizcli.testing import assert_close, expect_value_error, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def to_xyxy(box, fmt, mistake=None):
    x, y, u, v = (float(c) for c in box)
    if fmt == "xyxy" or mistake == "xywh_as_xyxy":
        return x, y, u, v
    if mistake == "xywh_as_centre":
        return x - u / 2, y - v / 2, x + u / 2, y + v / 2
    return x, y, x + u, y + v


def ref_iou_pair(p, q, mistake=None):
    one = 1.0 if mistake == "inclusive_pixels" else 0.0
    w, h = min(p[2], q[2]) - max(p[0], q[0]) + one, min(p[3], q[3]) - max(p[1], q[1]) + one
    inter = w * h if mistake == "intersection_not_clamped" else max(w, 0.0) * max(h, 0.0)
    union = (p[2] - p[0] + one) * (p[3] - p[1] + one) + (q[2] - q[0] + one) * (q[3] - q[1] + one)
    if mistake != "union_keeps_intersection":
        union -= inter
    return inter / union if union > 0 else 0.0


def ref_iou(a, b, fmt="xyxy", mistake=None):
    A = [to_xyxy(r, fmt, mistake) for r in a.tolist()]
    B = [to_xyxy(r, fmt, mistake) for r in b.tolist()]
    return np.array([[ref_iou_pair(p, q, mistake) for q in B] for p in A]).reshape(len(A), len(B))


def ref_nms(boxes, scores, thr=0.5, mistake=None, classes=None):
    s = scores.tolist()
    order = sorted(range(len(s)), key=lambda i: (s[i] if mistake == "ascending_scores" else -s[i], i))
    iou = ref_iou(boxes, boxes, mistake=mistake)
    same = (lambda i, j: True) if classes is None or mistake == "suppress_across_classes" else \
        (lambda i, j: classes[i] == classes[j])
    keep = []
    for i in order:
        if all(not same(i, j) or not (iou[j, i] >= thr if mistake == "suppress_at_threshold" else iou[j, i] > thr)
               for j in keep):
            keep.append(i)
    return np.array(keep, dtype=np.int64)


IOU_MISTAKES = ("inclusive_pixels", "intersection_not_clamped", "union_keeps_intersection")
NMS_MISTAKES = ("suppress_at_threshold", "ascending_scores") + IOU_MISTAKES


def nms_wrong(boxes, scores, thr, mistakes=NMS_MISTAKES, classes=None):
    """Wrong answers computed only if a check fails (each costs a full reference run)."""
    return {LABELS[k]: (lambda k=k: ref_nms(boxes, scores, thr, k, classes=classes)) for k in mistakes}


def random_boxes(seed, n, fmt="xyxy", dtype=torch.float64, scale=10.0):
    g = torch.Generator().manual_seed(seed)
    xy = scale * torch.rand(n, 2, generator=g, dtype=torch.float64)
    wh = 0.2 + 0.5 * scale * torch.rand(n, 2, generator=g, dtype=torch.float64)
    boxes = torch.cat([xy, wh], 1) if fmt == "xywh" else torch.cat([xy, xy + wh], 1)
    return boxes.to(dtype)


def clustered(seed, n, dtype=torch.float64):
    """Boxes jittered around three centres, so that NMS has real work to do."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[2.0, 2.0], [6.0, 3.0], [4.0, 8.0]], dtype=torch.float64)
    c = centres[torch.randint(0, 3, (n,), generator=g)] + 0.6 * torch.randn(n, 2, generator=g, dtype=torch.float64)
    half = 1.0 + 0.4 * torch.rand(n, 2, generator=g, dtype=torch.float64)
    scores = torch.rand(n, generator=g, dtype=torch.float64)
    return torch.cat([c - half, c + half], 1).to(dtype), scores.to(dtype)


def check_keep(got, want, what, wrong):
    assert isinstance(got, torch.Tensor), f"{what}: must return a tensor of indices, got {type(got).__name__}"
    assert got.dtype == torch.int64, f"{what}: indices must be int64, got {got.dtype}"
    got_list, want_list = got.tolist(), want.tolist()
    if got_list == want_list:
        return
    msg = f"{what}: kept {got_list}, expected {want_list} (indices in decreasing score order)"
    matched = [label for label, w in wrong.items() if (w() if callable(w) else w).tolist() == got_list]
    msg += "".join(known_mistake(label) for label in matched)  # several can keep the same boxes: name all
    raise AssertionError(msg)


# --- IoU ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,m,dtype", [(0, 5, 7, torch.float64), (1, 1, 4, torch.float32),
                                            (2, 12, 12, torch.float64), (3, 3, 1, torch.float32)])
def test_iou_xyxy_default(solution, seed, n, m, dtype):
    a, b = random_boxes(seed, n, dtype=dtype), random_boxes(seed + 50, m, dtype=dtype)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    assert_close(solution.box_iou(a, b), ref_iou(a, b), rtol=tol, atol=tol, name=f"box_iou ({n} × {m}, {dtype})",
                 mistakes={LABELS[k]: (lambda k=k: ref_iou(a, b, mistake=k)) for k in IOU_MISTAKES})


@pytest.mark.parametrize("seed,n,m", [(4, 6, 5), (5, 2, 9)])
def test_iou_xywh(solution, seed, n, m):
    a, b = random_boxes(seed, n, fmt="xywh"), random_boxes(seed + 50, m, fmt="xywh")
    assert_close(solution.box_iou(a, b, fmt="xywh"), ref_iou(a, b, "xywh"), rtol=1e-12, atol=1e-12,
                 name=f"box_iou(fmt='xywh'), x and y the top-left corner ({n} × {m})",
                 mistakes={LABELS[k]: ref_iou(a, b, "xywh", k) for k in ("xywh_as_xyxy", "xywh_as_centre")})


def test_iou_closed_forms(solution):
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64)
    b = torch.tensor([[0.0, 0.0, 2.0, 2.0],    # identical: 1
                      [1.0, 0.0, 3.0, 2.0],    # half overlap: 2 / 6
                      [2.0, 0.0, 4.0, 2.0],    # touching edge: 0
                      [5.0, 5.0, 6.0, 7.0],    # disjoint: 0
                      [3.0, 3.0, 5.0, 5.0],    # disjoint diagonally (both sides negative): 0
                      [0.5, 0.5, 1.5, 1.5],    # inside: 1 / 4
                      [1.0, 1.0, 1.0, 1.0]],   # a point: 0
                     dtype=torch.float64)
    want = np.array([[1.0, 1 / 3, 0.0, 0.0, 0.0, 0.25, 0.0]])
    assert_close(solution.box_iou(a, b), want, rtol=1e-12, atol=1e-12,
                 name="IoU of a 2×2 box with identical, half-shifted, touching, disjoint, inner and point boxes",
                 mistakes={LABELS[k]: (lambda k=k: ref_iou(a, b, mistake=k)) for k in IOU_MISTAKES})


def test_iou_of_degenerate_boxes_is_zero(solution):
    pts = torch.tensor([[1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 2.0, 3.0]], dtype=torch.float64)
    got = solution.box_iou(pts, pts)
    assert bool(torch.isfinite(torch.as_tensor(got)).all()), "IoU of zero-area boxes must be 0, not NaN (0 / 0)"
    assert_close(got, np.zeros((2, 2)), rtol=0, atol=0, name="IoU between zero-area boxes")


def test_iou_empty_and_bad_format(solution):
    empty = torch.zeros(0, 4, dtype=torch.float64)
    got = solution.box_iou(empty, random_boxes(6, 3))
    assert tuple(got.shape) == (0, 3), f"box_iou of 0 and 3 boxes must have shape (0, 3), got {tuple(got.shape)}"
    expect_value_error(lambda: solution.box_iou(random_boxes(7, 2), random_boxes(8, 2), fmt="cxcywh"),
                       "box_iou(fmt='cxcywh')")


# --- NMS ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,thr", [(9, 20, 0.5), (10, 30, 0.3), (11, 15, 0.7), (12, 1, 0.5)])
def test_nms_matches_greedy_reference(solution, seed, n, thr):
    boxes, scores = clustered(seed, n)
    got = solution.nms(boxes, scores, iou_threshold=thr)
    check_keep(got, ref_nms(boxes, scores, thr), f"nms ({n} boxes, iou_threshold={thr})",
               nms_wrong(boxes, scores, thr))


def test_nms_default_threshold_and_float32(solution):
    boxes, scores = clustered(13, 25, dtype=torch.float32)
    check_keep(solution.nms(boxes, scores), ref_nms(boxes, scores), "nms with the default iou_threshold=0.5 (float32)",
               nms_wrong(boxes, scores, 0.5))


def test_nms_iou_equal_to_threshold_is_kept(solution):
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 4.0, 4.0]], dtype=torch.float64)
    scores = torch.tensor([0.9, 0.8, 0.7], dtype=torch.float64)  # IoU(0, 1) = 0.5 and IoU(0, 2) = 0.25 exactly
    check_keep(solution.nms(boxes, scores, 0.5), np.array([0, 1, 2]), "IoU exactly 0.5 at threshold 0.5 (not > 0.5)",
               nms_wrong(boxes, scores, 0.5))
    check_keep(solution.nms(boxes, scores, 0.25), np.array([0, 2]), "IoU exactly 0.25 at threshold 0.25",
               nms_wrong(boxes, scores, 0.25))


def test_nms_strongest_box_survives(solution):
    boxes = torch.tensor([[0.0, 0.0, 4.0, 4.0], [0.2, 0.2, 4.2, 4.2], [0.1, 0.0, 4.1, 4.0]], dtype=torch.float64)
    scores = torch.tensor([0.3, 0.9, 0.6], dtype=torch.float64)
    check_keep(solution.nms(boxes, scores, 0.5), np.array([1]), "three overlapping boxes: only the top-scored stays",
               nms_wrong(boxes, scores, 0.5))


def test_nms_equal_scores_and_extreme_thresholds(solution):
    boxes, _ = clustered(14, 12)
    scores = torch.full((12,), 0.5, dtype=torch.float64)
    check_keep(solution.nms(boxes, scores, 0.4), ref_nms(boxes, scores, 0.4),
               "all scores equal: ties visited in index order", {})
    _, s = clustered(15, 12)
    check_keep(solution.nms(boxes, s, 1.0), ref_nms(boxes, s, 1.0), "iou_threshold=1 suppresses nothing",
               nms_wrong(boxes, s, 1.0, ("suppress_at_threshold",)))
    check_keep(solution.nms(boxes, s, 0.0), ref_nms(boxes, s, 0.0), "iou_threshold=0 suppresses any overlap", {})


def test_nms_no_boxes(solution):
    got = solution.nms(torch.zeros(0, 4, dtype=torch.float64), torch.zeros(0, dtype=torch.float64))
    assert isinstance(got, torch.Tensor) and got.dtype == torch.int64 and got.numel() == 0, \
        "nms of no boxes must return an empty int64 tensor"


@pytest.mark.parametrize("seed,n,n_classes,thr", [(16, 30, 3, 0.5), (17, 24, 2, 0.3), (18, 10, 1, 0.5)])
def test_batched_nms_per_class(solution, seed, n, n_classes, thr):
    boxes, scores = clustered(seed, n)
    classes = torch.randint(0, n_classes, (n,), generator=torch.Generator().manual_seed(seed))
    got = solution.batched_nms(boxes, scores, classes, iou_threshold=thr)
    want = ref_nms(boxes, scores, thr, classes=classes.tolist())
    check_keep(got, want, f"batched_nms ({n} boxes, {n_classes} classes, iou_threshold={thr})",
               nms_wrong(boxes, scores, thr, ("suppress_across_classes", "ascending_scores", "suppress_at_threshold"),
                         classes.tolist()))


def test_batched_nms_default_threshold_identical_boxes(solution):
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]] * 4, dtype=torch.float64)
    scores = torch.tensor([0.2, 0.9, 0.5, 0.7], dtype=torch.float64)
    classes = torch.tensor([0, 0, 1, 1])
    check_keep(solution.batched_nms(boxes, scores, classes), np.array([1, 3]),
               "the same box in two classes: one survivor per class",
               {LABELS["suppress_across_classes"]: np.array([1])})


def test_batched_nms_equal_scores_across_classes_and_no_boxes(solution):
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 3.0, 1.0], [4.0, 0.0, 5.0, 1.0], [6.0, 0.0, 7.0, 1.0]],
                         dtype=torch.float64)
    scores = torch.tensor([0.5, 0.5, 0.5, 0.9], dtype=torch.float64)
    classes = torch.tensor([1, 0, 1, 0])
    check_keep(solution.batched_nms(boxes, scores, classes), np.array([3, 0, 1, 2]),
               "disjoint boxes of two classes, three with equal scores: ties by index, not by class",
               {LABELS["batched_ties_by_class"]: np.array([3, 1, 0, 2])})
    got = solution.batched_nms(torch.zeros(0, 4, dtype=torch.float64), torch.zeros(0, dtype=torch.float64),
                               torch.zeros(0, dtype=torch.long))
    assert isinstance(got, torch.Tensor) and got.dtype == torch.int64 and got.numel() == 0, \
        "batched_nms of no boxes must return an empty int64 tensor"


def test_inputs_are_not_modified(solution):
    boxes, scores = clustered(19, 15)
    b0, s0 = boxes.clone(), scores.clone()
    solution.nms(boxes, scores, 0.5)
    solution.batched_nms(boxes, scores, torch.zeros(15, dtype=torch.long))
    solution.box_iou(boxes, boxes, fmt="xywh")
    assert torch.equal(boxes, b0) and torch.equal(scores, s0), "box_iou / nms must not modify boxes or scores"


def test_variant_dense_scene(solution, variant):
    n, thr = variant.get("n", 40), variant.get("iou_threshold", 0.5)
    boxes, scores = clustered(20, n)
    classes = torch.randint(0, variant.get("classes", 3), (n,), generator=torch.Generator().manual_seed(20))
    check_keep(solution.batched_nms(boxes, scores, classes, thr), ref_nms(boxes, scores, thr, classes=classes.tolist()),
               f"batched_nms on {n} boxes (variant)",
               nms_wrong(boxes, scores, thr, ("suppress_across_classes",), classes.tolist()))


def test_strided_box_views(solution):
    table, scores = clustered(21, 30)
    wide = torch.cat([table, torch.zeros(30, 4, dtype=torch.float64)], 1)
    boxes = wide[::2, :4]  # every other row of a wider table: a strided, non-contiguous view
    s = scores[::2]
    assert_close(solution.box_iou(boxes, boxes), ref_iou(boxes, boxes), rtol=1e-12, atol=1e-12,
                 name="box_iou on a strided view of the boxes")
    check_keep(solution.nms(boxes, s, 0.5), ref_nms(boxes, s, 0.5), "nms on strided views", nms_wrong(boxes, s, 0.5))
