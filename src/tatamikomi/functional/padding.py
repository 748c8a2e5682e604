"""Padding an (N, C, H, W) batch around H and W, and the adjoint used by backward passes.

Modes follow PyTorch: ``'zeros'`` (the lecture's "fill the border with 0"), ``'reflect'``
(mirror without repeating the edge), ``'replicate'`` (repeat the edge) and ``'circular'`` (wrap).
"""

from __future__ import annotations

import numpy as np

from .. import _parallel
from .. import i18n

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def check_padding_mode(mode: str) -> str:
    if mode not in PADDING_MODES:
        raise i18n.error(
            ValueError, "errors.padding_padding_mode_one", padding_modes=PADDING_MODES, mode=mode,
        )
    return mode


def check_padding_fits(size: int, before: int, after: int, mode: str) -> None:
    """Refuse a reflect or circular padding that an axis of ``size`` cannot give (layers ask
    this from their input shape when they are built, before any forward pass)."""
    if mode == "reflect" and max(before, after) >= size:
        raise i18n.error(
            ValueError, "errors.padding_reflect_padding_needs", before=before, after=after,
            size=size,
        )
    if mode == "circular" and max(before, after) > size:
        raise i18n.error(
            ValueError, "errors.padding_circular_padding_can", before=before, after=after,
            size=size,
        )


def source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of a padded axis, the input position it copies (non-zero modes)."""
    check_padding_fits(size, before, after, mode)
    positions = np.arange(-before, size + after)
    if mode == "reflect":
        positions = np.abs(positions)
        return np.where(positions >= size, 2 * (size - 1) - positions, positions)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    raise i18n.error(ValueError, "errors.padding_source_index_padding", mode=mode)


def pad2d(x: np.ndarray, pads, mode: str = "zeros", value: float = 0.0, out=None) -> np.ndarray:
    """Return x of shape (N, C, H, W) padded by pads = (top, bottom, left, right), in a new array
    (or in ``out``, a scratch array of the padded shape and x's dtype, when given).

    ``value`` fills the border in ``'zeros'`` mode (pooling pads max windows with -inf).
    Never returns x itself, so callers may write to the result.
    """
    top, bottom, left, right = pads
    n, c, h, w = x.shape
    shape = (n, c, h + top + bottom, w + left + right)
    if out is None or out.shape != shape or out.dtype != x.dtype:
        out = np.empty(shape, dtype=x.dtype)
    if mode != "zeros":
        rows = source_index(h, top, bottom, mode)
        cols = source_index(w, left, right, mode)
        out[...] = np.take(np.take(x, rows, axis=2), cols, axis=3)
        return out

    def fill(batch: slice) -> None:
        part = out[batch]
        if top or bottom or left or right:
            part[:, :, :top] = value
            part[:, :, top + h :] = value
            part[:, :, top : top + h, :left] = value
            part[:, :, top : top + h, left + w :] = value
        part[:, :, top : top + h, left : left + w] = x[batch]

    _parallel.over_batch(fill, n, out.size)
    return out


def _fold_axis(grad: np.ndarray, axis: int, size: int, before: int, after: int, mode: str):
    """Sum the gradient of every padded position back onto the input position it copied."""
    index = [slice(None)] * grad.ndim
    index[axis] = slice(before, before + size)
    folded = grad[tuple(index)].copy()
    if not (before or after):
        return folded
    source = source_index(size, before, after, mode)
    border = list(range(before)) + list(range(before + size, before + size + after))
    for position in border:
        index_src = [slice(None)] * grad.ndim
        index_dst = [slice(None)] * grad.ndim
        index_src[axis] = position
        index_dst[axis] = int(source[position])
        folded[tuple(index_dst)] += grad[tuple(index_src)]
    return folded


def pad2d_backward(
    grad_padded: np.ndarray, pads, input_hw, mode: str = "zeros", out=None
) -> np.ndarray:
    """Adjoint of :func:`pad2d`: the gradient with respect to the unpadded input, (N, C, H, W),
    in a new array or written into ``out``.

    Positions beyond ``pads`` at the bottom/right (ceil-mode windows) are ignored.
    """
    top, bottom, left, right = pads
    h, w = input_hw
    if mode == "zeros":
        grad = grad_padded[:, :, top : top + h, left : left + w]
    else:
        grad = _fold_axis(_fold_axis(grad_padded, 2, h, top, bottom, mode), 3, w, left, right, mode)
    if out is None:
        return np.ascontiguousarray(grad)
    out[...] = grad
    return out
