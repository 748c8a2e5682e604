"""Numerical gradients by central differences, and a check of a layer's backward against them.

``df/dx[i] ~ (f(x + eps*e_i) - f(x - eps*e_i)) / (2*eps)``: the error is O(eps**2) plus
rounding of order ``ulp(f) / eps``, so checks run in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array
from . import i18n


def numerical_gradient(f, x, eps: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar function ``f`` at ``x`` by central differences, in float64.

    ``f`` is called with perturbed float64 copies of x; x itself is never modified.
    """
    # C order, so that the flat view below is a view (a transposed input would give a copy).
    point = np.array(as_array(x, "x"), dtype=np.float64, order="C", copy=True)
    grad = np.zeros_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)
    for i in range(flat_point.size):
        original = flat_point[i]
        flat_point[i] = original + eps
        plus = float(f(point))
        flat_point[i] = original - eps
        minus = float(f(point))
        flat_point[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


@dataclass
class GradientCheckResult:
    """One line per checked quantity: the largest difference and the relative error
    ``|analytic - numerical| / (|analytic| + |numerical|)`` (norms over all elements)."""

    rows: list = field(default_factory=list)  # (name, max_abs_diff, relative_error, ok)

    @property
    def ok(self) -> bool:
        return all(row[3] for row in self.rows)

    def __str__(self) -> str:
        lines = [f"{'gradient':<10} {'max |diff|':>12} {'rel. error':>12}  result"]
        for name, diff, rel, ok in self.rows:
            lines.append(f"{name:<10} {diff:12.3e} {rel:12.3e}  {'ok' if ok else 'MISMATCH'}")
        return "\n".join(lines)


def _compare(name, analytic, numeric, rtol, atol):
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise i18n.error(
            ValueError, "errors.gradcheck_gradient_shape_expected", name=name,
            analytic_shape=analytic.shape, numeric_shape=numeric.shape,
        )
    diff = float(np.max(np.abs(analytic - numeric), initial=0.0))
    scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    rel = float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0
    finite = bool(np.isfinite(analytic).all() and np.isfinite(numeric).all())
    if not finite:  # NaN compares false and would make a zero "scale": never ok
        return name, float("nan"), float("nan"), False
    return name, diff, rel, bool(rel <= rtol or diff <= atol)


def gradient_check(
    layer, x, *, eps: float = 1e-6, rtol: float = 1e-6, atol: float = 1e-8, seed: int = 0
) -> GradientCheckResult:
    """Compare a layer's backward pass with numerical gradients; returns a printable result.

    The scalar checked is ``sum(layer.forward(x) * R)`` for a fixed random R, so backward is
    called with ``dout = R``. The input gradient ("x") and every parameter's gradient are
    checked. The check runs in float64: the layer's parameters are converted for its duration
    and restored afterwards, with its gradients and buffers (running statistics); a layer with
    an ``rng``
    attribute (Dropout) is re-seeded before each forward pass so its random mask stays fixed.

    >>> from tatamikomi import Conv2d
    >>> import numpy as np
    >>> print(gradient_check(Conv2d(2, 3, 3), np.random.rand(2, 2, 5, 5)).ok)
    True
    """
    saved_params = dict(layer.params)
    saved_grads = dict(layer.grads)
    saved_buffers = {k: v.copy() for k, v in layer.buffers.items()}
    has_rng = hasattr(layer, "rng")
    saved_rng = layer.rng if has_rng else None
    point = np.array(as_array(x, "x"), dtype=np.float64, copy=True)
    try:
        for key, value in saved_params.items():
            layer.params[key] = value.astype(np.float64)

        def run(inp):
            if has_rng:
                layer.rng = np.random.default_rng(seed)
            return layer.forward(inp)

        out = np.asarray(run(point))
        weights = np.random.default_rng(seed).standard_normal(out.shape)

        def loss(inp):
            return float((np.asarray(run(inp)) * weights).sum())

        run(point)
        dx = layer.backward(weights)
        analytic = {k: np.array(v, dtype=np.float64) for k, v in layer.grads.items()}
        result = GradientCheckResult()
        if dx is not None:
            result.rows.append(_compare("x", dx, numerical_gradient(loss, point, eps), rtol, atol))
        for key in saved_params:
            original = layer.params[key]

            def loss_param(value, key=key):
                layer.params[key] = value
                return loss(point)

            numeric = numerical_gradient(loss_param, original, eps)
            layer.params[key] = original
            result.rows.append(_compare(key, analytic[key], numeric, rtol, atol))
        return result
    finally:
        layer.params.update(saved_params)
        layer.grads.clear()
        layer.grads.update(saved_grads)
        layer.buffers.update(saved_buffers)
        if has_rng:
            layer.rng = saved_rng
