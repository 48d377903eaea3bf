"""Hidden suite for decision_tree_split: impurities and the best split against a reference written here
(a loop over the distinct values of each feature, impurities from Counters)."""

import math
from collections import Counter

import numpy as np
import pytest

from quizcli.testing import assert_close, expect_value_error, known_mistake, mistake_labels

LABELS = mistake_labels(__file__)


def ref_impurity(labels, criterion="gini", mistake=None):
    n = len(labels)
    if n == 0:
        return 0.0
    ps = [c / n for c in Counter(labels).values()]
    if criterion == "gini":
        return 1.0 - sum(p * p for p in ps)
    log = math.log if mistake == "entropy_natural_log" else math.log2
    return -sum(p * log(p) for p in ps)


def ref_split(X, y, criterion="gini", min_samples_leaf=1, mistake=None):
    X, y = np.asarray(X, float), list(np.asarray(y))
    n = len(y)
    if n < 2:
        return None
    parent = ref_impurity(y, criterion, mistake)
    found = []
    for j in range(X.shape[1]):
        col = X[:, j]
        order = sorted(range(n), key=lambda i: (col[i], i))
        if mistake == "split_inside_ties":
            cuts = [(order[:k], order[k:], col[order[k - 1]], col[order[k]]) for k in range(1, n)]
        else:
            vals = sorted(set(col.tolist()))
            cuts = [([i for i in range(n) if col[i] <= a], [i for i in range(n) if col[i] > a], a, b)
                    for a, b in zip(vals, vals[1:])]
        for left, right, a, b in cuts:
            if mistake != "min_samples_leaf_ignored" and min(len(left), len(right)) < min_samples_leaf:
                continue
            il = ref_impurity([y[i] for i in left], criterion, mistake)
            ir = ref_impurity([y[i] for i in right], criterion, mistake)
            child = (il + ir) / 2 if mistake == "unweighted_children" else (len(left) * il + len(right) * ir) / n
            found.append((parent - child, j, a if mistake == "threshold_at_data_point" else (a + b) / 2))
    if not found:
        return None
    top = max(g for g, _, _ in found)
    ties = [c for c in found if c[0] >= top - 1e-12]
    gain, j, t = ties[-1] if mistake == "last_best_split" else ties[0]
    return j, t, gain


SPLIT_MISTAKES = ("unweighted_children", "threshold_at_data_point", "split_inside_ties", "entropy_natural_log",
                  "min_samples_leaf_ignored", "last_best_split")


def check_split(got, want, what, wrong):
    if want is None:
        assert got is None, f"{what}: expected None (no valid split), got {got!r}"
        return
    assert got is not None and len(got) == 3, f"{what}: expected (feature, threshold, gain), got {got!r}"
    feature, threshold, gain = got
    ok = int(feature) == want[0] and abs(float(threshold) - want[1]) <= 1e-9 and abs(float(gain) - want[2]) <= 1e-9
    if ok:
        return
    msg = (f"{what}: got feature {feature}, threshold {float(threshold):.10g}, gain {float(gain):.10g}; expected "
           f"feature {want[0]}, threshold {want[1]:.10g}, gain {want[2]:.10g}")
    matched = [label for label, w in wrong.items() if w is not None and int(feature) == w[0]
               and abs(float(threshold) - w[1]) <= 1e-9 and abs(float(gain) - w[2]) <= 1e-9]
    msg += "".join(known_mistake(label) for label in matched)  # several can pick the same split: name all
    raise AssertionError(msg)


def split_wrong(X, y, criterion="gini", min_samples_leaf=1):
    return {LABELS[m]: ref_split(X, y, criterion, min_samples_leaf, m) for m in SPLIT_MISTAKES}


def data(seed, n, d, classes=2, levels=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if levels:
        X = np.round(X * levels / 2) / (levels / 2)  # few distinct values: many ties
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(int)
    if classes > 2:
        y = np.digitize(X @ rng.normal(size=d), np.quantile(X @ rng.normal(size=d), [0.3, 0.7])[: classes - 1])
    return X, y


# --- impurity ----------------------------------------------------------------------------------

@pytest.mark.parametrize("labels,criterion,want", [
    ([0, 0, 1, 1], "gini", 0.5), ([0, 0, 1, 1], "entropy", 1.0), ([2, 2, 2], "gini", 0.0),
    ([2, 2, 2], "entropy", 0.0), ([0, 1, 2, 3], "entropy", 2.0), ([0, 0, 0, 1], "gini", 0.375), ([], "gini", 0.0),
])
def test_impurity_closed_forms(solution, labels, criterion, want):
    got = solution.impurity(np.array(labels, dtype=np.int64), criterion=criterion)
    assert_close(got, want, rtol=1e-12, atol=1e-12, name=f"{criterion} impurity of {labels}",
                 mistakes={LABELS["entropy_natural_log"]: ref_impurity(labels, criterion, "entropy_natural_log")
                           if criterion == "entropy" else None})


def test_impurity_default_is_gini(solution):
    y = np.array([0, 1, 1, 2, 2, 2])
    assert_close(solution.impurity(y), ref_impurity(list(y)), rtol=1e-12, atol=1e-12, name="impurity(y) default")


# --- best split ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,n,d,criterion,classes", [(0, 30, 2, "gini", 2), (1, 25, 3, "entropy", 2),
                                                        (2, 40, 2, "gini", 3), (3, 33, 4, "entropy", 3)])
def test_best_split_random_data(solution, seed, n, d, criterion, classes):
    X, y = data(seed, n, d, classes)
    check_split(solution.best_split(X, y, criterion=criterion), ref_split(X, y, criterion),
                f"best_split ({n} samples, {d} features, {classes} classes, {criterion})", split_wrong(X, y, criterion))


@pytest.mark.parametrize("seed,criterion", [(4, "gini"), (5, "entropy"), (6, "gini")])
def test_best_split_with_many_tied_values(solution, seed, criterion):
    X, y = data(seed, 36, 2, levels=3)
    check_split(solution.best_split(X, y, criterion=criterion), ref_split(X, y, criterion),
                f"best_split on features with few distinct values ({criterion})", split_wrong(X, y, criterion))


def test_weighted_children_choose_the_balanced_split(solution):
    # Feature 0 isolates one pure sample; feature 1 splits 4 | 4 with one error each side.
    X = np.array([[0, 0], [1, 0], [1, 0], [1, 0], [1, 1], [1, 1], [1, 1], [1, 1]], dtype=float)
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    check_split(solution.best_split(X, y), ref_split(X, y), "size-weighted Gini of the children",
                split_wrong(X, y))


def test_threshold_is_the_midpoint(solution):
    X = np.array([[1.0], [2.0], [4.0], [8.0]])
    y = np.array([0, 0, 1, 1])
    check_split(solution.best_split(X, y, criterion="entropy"), (0, 3.0, 1.0), "the threshold between 2 and 4 is 3",
                split_wrong(X, y, "entropy"))


def test_ties_in_gain_go_to_the_lowest_feature_and_threshold(solution):
    X = np.array([[0.0, 5.0], [1.0, 6.0], [2.0, 7.0], [3.0, 8.0]])
    y = np.array([0, 1, 1, 0])  # thresholds 0.5 and 2.5 tie on feature 0, and feature 1 repeats them
    check_split(solution.best_split(X, y), ref_split(X, y), "equal gains: feature 0, threshold 0.5",
                split_wrong(X, y))


def test_gains_equal_up_to_rounding_are_ties(solution):
    # Four splits with the same entropy gain; rounding makes the second one (feature 1) larger by about 2e-16.
    X = np.array([[2, 3], [4, 5], [4, 2], [0, 5], [0, 5], [2, 4], [0, 0]], dtype=float)
    y = np.array([0, 2, 0, 2, 0, 1, 2])
    want = ref_split(X, y, "entropy")
    assert want[:2] == (0, 1.0)
    check_split(solution.best_split(X, y, criterion="entropy"), want,
                "gains within 1e-12 of the best are ties: feature 0, threshold 1", split_wrong(X, y, "entropy"))


@pytest.mark.parametrize("min_samples_leaf", [1, 2, 3])
def test_min_samples_leaf(solution, min_samples_leaf):
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0]])
    y = np.array([1, 0, 0, 0, 0, 0, 1])
    check_split(solution.best_split(X, y, min_samples_leaf=min_samples_leaf),
                ref_split(X, y, min_samples_leaf=min_samples_leaf), f"min_samples_leaf={min_samples_leaf}",
                split_wrong(X, y, min_samples_leaf=min_samples_leaf))


def test_pure_node_and_entropy_of_pure_children(solution):
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    got = solution.best_split(X, np.array([1, 1, 1, 1]), criterion="entropy")
    check_split(got, ref_split(X, [1, 1, 1, 1], "entropy"), "a pure node: every split has gain 0", {})
    y = np.array([0, 0, 1, 1])
    got = solution.best_split(X, y, criterion="entropy")
    assert got is not None and np.isfinite(float(got[2])), \
        f"entropy gain of a split into pure children must be finite, got {got!r}{known_mistake(LABELS['entropy_zero_log'])}"
    check_split(got, (0, 1.5, 1.0), "a perfect split under entropy gains 1 bit", split_wrong(X, y, "entropy"))


def test_no_valid_split_returns_none(solution):
    assert solution.best_split(np.ones((5, 2)), np.array([0, 1, 0, 1, 1])) is None, "constant features: None"
    assert solution.best_split(np.array([[1.0]]), np.array([0])) is None, "one sample: None"
    assert solution.best_split(np.array([[1.0], [2.0]]), np.array([0, 1]), min_samples_leaf=2) is None, \
        "two samples with min_samples_leaf=2: None"


def test_unknown_criterion(solution):
    X, y = data(7, 10, 2)
    expect_value_error(lambda: solution.best_split(X, y, criterion="mse"), "best_split(criterion='mse')")
    expect_value_error(lambda: solution.impurity(y, criterion="log_loss"), "impurity(criterion='log_loss')")


def test_inputs_not_modified_and_int_features(solution):
    X, y = data(8, 20, 3, levels=4)
    Xi = (X * 2).astype(int)
    X0, y0 = Xi.copy(), y.copy()
    check_split(solution.best_split(Xi, y), ref_split(Xi, y), "integer features", split_wrong(Xi, y))
    assert np.array_equal(Xi, X0) and np.array_equal(y, y0), "best_split must not sort or change X or y"
    Xf = X.copy()
    solution.best_split(X, y, criterion="entropy")
    assert np.array_equal(X, Xf) and np.array_equal(y, y0), "best_split must not sort or change a float X or y"


def test_variant_dataset(solution, variant):
    X, y = data(9, variant.get("n", 50), variant.get("d", 3), variant.get("classes", 2), variant.get("levels"))
    criterion = variant.get("criterion", "gini")
    check_split(solution.best_split(X, y, criterion=criterion, min_samples_leaf=variant.get("min_samples_leaf", 1)),
                ref_split(X, y, criterion, variant.get("min_samples_leaf", 1)), f"best_split (variant, {criterion})",
                split_wrong(X, y, criterion, variant.get("min_samples_leaf", 1)))
