"""Hidden suite for auc: ROC / PR curves and areas against references written here (curves by a loop over
the distinct thresholds, ROC AUC by counting positive–negative pairs with ties as halves)."""

import numpy as np
import pytest

from quizcli.testing import assert_close, expect_value_error, mistake_labels

LABELS = mistake_labels(__file__)


def ref_points(y, s, ascending=False):
    y, s = np.asarray(y).astype(bool), np.asarray(s, dtype=float)
    thr = np.unique(s) if ascending else np.unique(s)[::-1]
    tp = np.array([np.sum(y & (s <= t if ascending else s >= t)) for t in thr])
    fp = np.array([np.sum(~y & (s <= t if ascending else s >= t)) for t in thr])
    return thr, tp, fp


def ref_roc_curve(y, s, mistake=None):
    thr, tp, fp = ref_points(y, s, ascending=mistake == "ascending_thresholds")
    if mistake == "ties_not_grouped":
        thr, tp, fp = ungrouped_points(y, s)
    fpr, tpr = fp / fp[-1], tp / tp[-1]
    if mistake == "roc_without_origin":
        return fpr, tpr, thr
    return np.r_[0.0, fpr], np.r_[0.0, tpr], np.r_[np.inf, thr]


def ref_roc_auc(y, s, mistake=None):
    y, s = np.asarray(y).astype(bool), np.asarray(s, dtype=float)
    pos, neg = s[y][:, None], s[~y][None, :]
    if mistake is None:
        return float(np.mean((pos > neg) + 0.5 * (pos == neg)))
    if mistake == "ties_as_wins":
        return float(np.mean(pos >= neg))
    if mistake == "roc_axes_swapped":
        return 1.0 - ref_roc_auc(y, s)
    fpr, tpr, _ = ref_roc_curve(y, s, mistake)
    return float(np.trapezoid(tpr, fpr))


def ungrouped_points(y, s):
    order = np.argsort(-np.asarray(s, float), kind="stable")
    ys = np.asarray(y).astype(bool)[order]
    return np.asarray(s, float)[order], np.cumsum(ys), np.cumsum(~ys)


def ref_pr_curve(y, s, mistake=None):
    thr, tp, fp = ref_points(y, s, ascending=mistake == "ascending_thresholds")
    if mistake == "ties_not_grouped":
        thr, tp, fp = ungrouped_points(y, s)
    precision, recall = tp / (tp + fp), tp / tp[-1]
    if mistake == "pr_no_start_point":
        return precision, recall, thr
    return np.r_[1.0, precision], np.r_[0.0, recall], thr


def ref_pr_auc(y, s, method="step", mistake=None):
    if mistake == "pr_trapezoid_default" and method == "step":
        method = "trapezoid"
    p, r, _ = ref_pr_curve(y, s, mistake)
    total = 0.0
    for k in range(1, len(r)):
        height = p[k] if method == "step" else (p[k] + p[k - 1]) / 2
        total += (r[k] - r[k - 1]) * height
    return total


ROC_MISTAKES = ("ties_not_grouped", "ties_as_wins", "roc_without_origin", "ascending_thresholds", "roc_axes_swapped")
PR_MISTAKES = ("ties_not_grouped", "pr_trapezoid_default", "pr_no_start_point", "ascending_thresholds")


def data(seed, n, ties=False, p_pos=0.4):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < p_pos).astype(int)
    y[0], y[-1] = 1, 0  # both classes always present
    s = rng.normal(size=n) + 0.8 * y
    return y, (np.round(s) if ties else s)


def merge_collisions(wrong):
    """Mistakes that give the same wrong area on this input cannot be told apart: name them together."""
    groups = {}
    for label, value in wrong.items():
        groups.setdefault(round(float(value), 12), []).append(label)
    return {labels[0] if len(labels) == 1 else " — or — ".join(labels): value
            for value, labels in groups.items()}


def roc_wrong(y, s):
    return merge_collisions({LABELS[m]: ref_roc_auc(y, s, m) for m in ROC_MISTAKES})


def pr_wrong(y, s, method="step"):
    return merge_collisions({LABELS[m]: ref_pr_auc(y, s, method, m) for m in PR_MISTAKES})


def check_curve(got, want, what, wrong=None):
    assert isinstance(got, tuple) and len(got) == 3, f"{what}: must return a tuple of three arrays"
    for name, g, w, k in zip(("first array", "second array", "thresholds"), got, want, range(3)):
        assert_close(np.asarray(g, dtype=float), w, rtol=1e-12, atol=1e-12, name=f"{what}: {name}",
                     mistakes={label: m[k] for label, m in (wrong or {}).items()})


# --- ROC -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,ties", [(0, 20, False), (1, 35, True), (2, 6, True), (3, 50, False)])
def test_roc_curve_points(solution, seed, n, ties):
    y, s = data(seed, n, ties)
    check_curve(solution.roc_curve(y, s), ref_roc_curve(y, s), f"roc_curve (n={n}, ties={ties})",
                {LABELS[m]: ref_roc_curve(y, s, m) for m in ("ties_not_grouped", "roc_without_origin",
                                                             "ascending_thresholds")})


@pytest.mark.parametrize("seed,n,ties", [(4, 40, False), (5, 40, True), (6, 9, True), (7, 101, True)])
def test_roc_auc_equals_the_pair_count(solution, seed, n, ties):
    y, s = data(seed, n, ties)
    assert_close(solution.roc_auc(y, s), ref_roc_auc(y, s), rtol=1e-12, atol=1e-12,
                 name=f"ROC AUC (n={n}, ties={ties}) = P(pos > neg) + ½·P(tie)", mistakes=roc_wrong(y, s))


def test_roc_auc_heavy_ties_in_any_order(solution):
    y = np.array([1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0])
    s = np.array([2, 2, 1, 1, 1, 2, 0, 0, 2, 1, 0, 1])
    want = ref_roc_auc(y, s)
    for seed in range(4):
        perm = np.random.default_rng(seed).permutation(len(y))
        assert_close(solution.roc_auc(y[perm], s[perm]), want, rtol=1e-12, atol=1e-12,
                     name=f"ROC AUC with three score levels, samples shuffled (seed {seed})",
                     mistakes=roc_wrong(y[perm], s[perm]))


@pytest.mark.parametrize("case,y,s,want", [
    ("perfect", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1.0),
    ("inverted", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 0.0),
    ("all tied", [1, 0, 1, 0, 0], [3.0] * 5, 0.5),
    ("one positive", [0, 0, 1, 0], [0.5, 0.1, 0.3, 0.9], 1 / 3),
    ("huge magnitudes", [1, 0, 1, 0], [1e300, -1e300, 1e-300, 0.0], 1.0),
    ("nearly tied, not tied", [0, 1, 0, 1], [1.0, 1.0 + 1e-13, 1.0 + 2e-13, 1.0 + 3e-13], 0.75),
])
def test_roc_auc_closed_forms(solution, case, y, s, want):
    assert_close(solution.roc_auc(y, s), want, rtol=1e-12, atol=1e-12, name=f"ROC AUC, {case}",
                 mistakes=roc_wrong(y, s))


def test_roc_accepts_bool_labels_and_integer_scores(solution):
    y, s = data(8, 30, ties=True)
    got = solution.roc_auc(y.astype(bool), s.astype(int))
    assert_close(got, ref_roc_auc(y, s.astype(int)), rtol=1e-12, atol=1e-12, name="bool labels, int scores",
                 mistakes=roc_wrong(y, s.astype(int)))


def test_roc_auc_is_invariant_to_monotone_transforms(solution):
    y, s = data(9, 25)
    a, b = solution.roc_auc(y, s), solution.roc_auc(y, np.exp(3 * s) - 7)
    assert_close(b, a, rtol=1e-12, atol=1e-12, name="ROC AUC of exp(3s) − 7 vs of s (only the order matters)")


def test_roc_needs_both_classes(solution):
    expect_value_error(lambda: solution.roc_auc([1, 1, 1], [0.1, 0.5, 0.2]), "roc_auc with positives only")
    expect_value_error(lambda: solution.roc_curve([0, 0], [0.1, 0.5]), "roc_curve with negatives only")
    expect_value_error(lambda: solution.roc_auc([0, 1, 1], [0.1, 0.5]), "roc_auc with 3 labels and 2 scores")


# --- precision-recall ---------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,ties", [(10, 20, False), (11, 33, True), (12, 5, True)])
def test_precision_recall_curve_points(solution, seed, n, ties):
    y, s = data(seed, n, ties)
    check_curve(solution.precision_recall_curve(y, s), ref_pr_curve(y, s),
                f"precision_recall_curve (n={n}, ties={ties}): precision, recall, thresholds",
                {LABELS["pr_no_start_point"]: ref_pr_curve(y, s, "pr_no_start_point")})


@pytest.mark.parametrize("seed,n,ties", [(13, 40, False), (14, 40, True), (15, 12, True), (16, 90, False)])
def test_pr_auc_default_is_average_precision(solution, seed, n, ties):
    y, s = data(seed, n, ties)
    assert_close(solution.pr_auc(y, s), ref_pr_auc(y, s), rtol=1e-12, atol=1e-12,
                 name=f"pr_auc (default method='step', n={n}, ties={ties})", mistakes=pr_wrong(y, s))


@pytest.mark.parametrize("seed,ties", [(17, False), (18, True)])
def test_pr_auc_trapezoid(solution, seed, ties):
    y, s = data(seed, 30, ties)
    assert_close(solution.pr_auc(y, s, method="trapezoid"), ref_pr_auc(y, s, "trapezoid"), rtol=1e-12, atol=1e-12,
                 name=f"pr_auc(method='trapezoid', ties={ties})", mistakes=pr_wrong(y, s, "trapezoid"))


@pytest.mark.parametrize("case,y,s,want", [
    ("perfect ranking", [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], 1.0),
    ("positives only", [1, 1, 1], [0.3, 0.1, 0.2], 1.0),
    ("worst ranking", [1, 0, 0, 0], [0.0, 0.5, 0.6, 0.7], 0.25),
    ("all tied", [1, 0, 0, 1], [1.0] * 4, 0.5),
])
def test_pr_auc_closed_forms(solution, case, y, s, want):
    assert_close(solution.pr_auc(y, s), want, rtol=1e-12, atol=1e-12, name=f"average precision, {case}",
                 mistakes=pr_wrong(y, s))


@pytest.mark.parametrize("fn", ["roc_curve", "roc_auc", "precision_recall_curve", "pr_auc"])
def test_inputs_must_be_1d_of_one_length(solution, fn):
    f = getattr(solution, fn)
    expect_value_error(lambda: f([0, 1, 1], [0.1, 0.5]), f"{fn} with 3 labels and 2 scores")
    expect_value_error(lambda: f([0, 1], [0.1, 0.5, 0.7]), f"{fn} with 2 labels and 3 scores")
    expect_value_error(lambda: f(np.array([[0], [1], [1]]), np.array([[0.2], [0.4], [0.9]])),
                       f"{fn} with (3, 1) arrays (must be 1-D)")


def test_pr_errors(solution):
    expect_value_error(lambda: solution.pr_auc([0, 0, 0], [0.1, 0.2, 0.3]), "pr_auc without positives")
    expect_value_error(lambda: solution.precision_recall_curve([0, 0, 0], [0.1, 0.2, 0.3]),
                       "precision_recall_curve without positives")
    y, s = data(19, 10)
    expect_value_error(lambda: solution.pr_auc(y, s, method="interpolated"), "pr_auc(method='interpolated')")


def test_inputs_are_not_modified(solution):
    y, s = data(20, 15, ties=True)
    y0, s0 = y.copy(), s.copy()
    solution.roc_auc(y, s)
    solution.pr_auc(y, s)
    assert np.array_equal(y, y0) and np.array_equal(s, s0), "the metrics must not sort or change their inputs"


def test_variant_class_balance(solution, variant):
    y, s = data(21, variant.get("n", 60), ties=variant.get("ties", True), p_pos=variant.get("p_pos", 0.4))
    assert_close(solution.roc_auc(y, s), ref_roc_auc(y, s), rtol=1e-12, atol=1e-12, name="ROC AUC (variant data)",
                 mistakes=roc_wrong(y, s))
    assert_close(solution.pr_auc(y, s), ref_pr_auc(y, s), rtol=1e-12, atol=1e-12, name="average precision (variant data)",
                 mistakes=pr_wrong(y, s))
