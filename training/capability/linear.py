"""Sparse design matrices from the Rust featuriser and a deterministic L-BFGS for linear models.

numpy only, float64, single-threaded reductions in a fixed order (`np.add.reduceat` over
pre-sorted indices), no random initialisation: the same data gives the same weights bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from routecore import _core

from .artifact import N_BUCKETS, N_DENSE

N_FEATURES = N_BUCKETS + N_DENSE


@dataclass
class Design:
    """CSR matrix (rows = requests) plus a column-sorted view for gradients."""

    rows: np.ndarray  # row of each nonzero
    cols: np.ndarray
    vals: np.ndarray
    n: int
    row_starts: np.ndarray
    col_perm: np.ndarray
    col_ids: np.ndarray
    col_starts: np.ndarray

    def matvec(self, w: np.ndarray) -> np.ndarray:
        contrib = w[self.cols] * self.vals[:, None]
        return np.add.reduceat(contrib, self.row_starts, axis=0)

    def rmatvec(self, g: np.ndarray) -> np.ndarray:
        contrib = (g[self.rows] * self.vals[:, None])[self.col_perm]
        out = np.zeros((N_FEATURES, g.shape[1]))
        out[self.col_ids] = np.add.reduceat(contrib, self.col_starts, axis=0)
        return out

    def subset(self, idx: np.ndarray) -> Design:
        starts = np.r_[self.row_starts, len(self.cols)]
        parts = [np.arange(starts[i], starts[i + 1]) for i in idx]
        sel = np.concatenate(parts)
        rows = np.repeat(np.arange(len(idx)), [len(p) for p in parts])
        return make(rows, self.cols[sel], self.vals[sel], len(idx))


def make(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int) -> Design:
    counts = np.bincount(rows, minlength=n)
    assert (counts > 0).all(), "every request has the bias feature"
    row_starts = np.r_[0, np.cumsum(counts)[:-1]]
    perm = np.argsort(cols, kind="stable")
    sc = cols[perm]
    col_ids, col_starts = np.unique(sc, return_index=True)
    return Design(rows, cols, vals, n, row_starts, perm, col_ids, col_starts)


def featurize(requests: Sequence[Any], chunk: int = 4096) -> Design:
    """Feature vectors from `routecore._core._hashed_features` (the router's own code)."""
    rows, cols, vals = [], [], []
    base = 0
    for s in range(0, len(requests), chunk):
        indptr_b, idx_b, val_b = _core._hashed_features(list(requests[s : s + chunk]))
        indptr = np.frombuffer(indptr_b, dtype=np.uint64).astype(np.int64)
        rows.append(base + np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)))
        cols.append(np.frombuffer(idx_b, dtype=np.uint32).astype(np.int64))
        vals.append(np.frombuffer(val_b, dtype=np.float32).astype(np.float64))
        base += len(indptr) - 1
    return make(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), base)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def lbfgs(
    f: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, iters: int, m: int = 10
) -> np.ndarray:
    """Minimise f (value, gradient) with L-BFGS and a backtracking Armijo line search."""
    x = x0.copy()
    fx, g = f(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(iters):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = float(np.vdot(s, q)) / float(np.vdot(y, s))
            alphas.append(a)
            q -= a * y
        if s_hist:
            q *= float(np.vdot(s_hist[-1], y_hist[-1])) / float(np.vdot(y_hist[-1], y_hist[-1]))
        for (s, y), a in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            b = float(np.vdot(y, q)) / float(np.vdot(y, s))
            q += (a - b) * s
        d = -q
        slope = float(np.vdot(g, d))
        if slope >= 0:
            d, slope = -g, -float(np.vdot(g, g))
            s_hist.clear()
            y_hist.clear()
        step = 1.0
        while True:
            xn = x + step * d
            fn, gn = f(xn)
            if fn <= fx + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, y = xn - x, gn - g
        if float(np.vdot(s, y)) > 1e-12:
            s_hist.append(s)
            y_hist.append(y)
            if len(s_hist) > m:
                s_hist.pop(0)
                y_hist.pop(0)
        if abs(fx - fn) < 1e-9 * max(1.0, abs(fx)):
            x, fx, g = xn, fn, gn
            break
        x, fx, g = xn, fn, gn
    return x


def train_softmax(
    x: Design, y: np.ndarray, k: int, l2: float, iters: int, sample_w: np.ndarray | None = None
) -> np.ndarray:
    """Multinomial logistic regression, L2 on all weights but the bias row."""
    n = x.n
    sw = np.ones(n) if sample_w is None else sample_w
    total = float(sw.sum())
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    reg = np.ones((N_FEATURES, 1))
    reg[N_BUCKETS] = 0.0  # dense feature 0 is the bias

    def f(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(N_FEATURES, k)
        z = x.matvec(w)
        zmax = z.max(axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
        loss = float(np.dot(sw, lse - (z * onehot).sum(axis=1))) / total
        p = np.exp(z - lse[:, None])
        grad = x.rmatvec((p - onehot) * (sw / total)[:, None])
        loss += 0.5 * l2 * float(((w * w) * reg).sum())
        grad += l2 * w * reg
        return loss, grad.ravel()

    return lbfgs(f, np.zeros(N_FEATURES * k), iters).reshape(N_FEATURES, k)


def train_logistic(
    x: Design, y: np.ndarray, l2: float, iters: int, sample_w: np.ndarray | None = None
) -> np.ndarray:
    """Binary logistic regression (one output column)."""
    n = x.n
    sw = np.ones(n) if sample_w is None else sample_w
    total = float(sw.sum())
    reg = np.ones((N_FEATURES, 1))
    reg[N_BUCKETS] = 0.0

    def f(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(N_FEATURES, 1)
        z = x.matvec(w)[:, 0]
        loss = float(np.dot(sw, np.logaddexp(0.0, z) - y * z)) / total
        p = 1.0 / (1.0 + np.exp(-z))
        grad = x.rmatvec(((p - y) * sw / total)[:, None])
        loss += 0.5 * l2 * float(((w * w) * reg).sum())
        grad += l2 * w * reg
        return loss, grad.ravel()

    return lbfgs(f, np.zeros(N_FEATURES), iters).reshape(N_FEATURES, 1)
