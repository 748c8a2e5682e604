"""The fast convolution's machinery (private): how windows are laid out, unrolled in chunks,
folded back, and how the input gradient is computed. :mod:`.conv` reads as the steps; the
details of each step live here.

Memory: the unrolled windows of a large batch are never kept whole. A few images at a time
(:func:`images_per_chunk`: ``min(chunk_mb, memory_mb / threads)`` of windows, 8 MB by default;
at most 4 MB in the "batched" layout)
are unrolled into a reused per-thread buffer and multiplied at once; backward unrolls them
again from the saved (padded) input. This costs one copy and saves writing and re-reading a
matrix FH*FW times the size of the input (150 MB for a 64x64x32x32 batch and 3x3 filters).
Small ones (a first layer's, up to ``min(16 MB, memory_mb)``) are kept from a training-mode
forward pass to the backward pass.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import _parallel
from ..config import chunk_bytes, memory_budget, threads
from .geometry import Window2d
from .im2col import fold, tap_slices, unfold
from .padding import pad2d

#: the "wide" layout computes Wp/OW times the outputs; it is used while that is at most this
WIDE_MAX_EXTRA = 1.1

#: unrolled windows up to this size (and within the memory budget) are kept for backward
KEEP_COL_BYTES = 16 << 20

#: the "batched" layout is used from this many input channels per group
BATCHED_MIN_CHANNELS = 4

#: ... and while one image's output rows are at most this long (wider images' products are
#: large enough one image at a time)
BATCHED_MAX_WIDTH = 32

#: the "batched" layout's chunk: small enough that its windows stay in the cache
BATCHED_CHUNK_BYTES = 4 << 20


# How the windows are laid out in memory:
# - "view": a 1x1 filter, stride 1, no padding sees every pixel once: col is the input itself.
# - "wide": stride 1, and rows not much wider than the output. Each padded image is flattened
#   per channel (with a few zeros after it), so that filter tap (i, j) sees, at all output
#   positions, one contiguous run
#   ``flat[c, i*dh*Wp + j*dw : ... + OH*Wp]``. Rows are computed Wp wide instead of OW wide: the
#   extra Wp - OW columns wrap around into the next row; their outputs are dropped and zeros in
#   dout keep them out of every gradient. Copies and sums then move long contiguous runs.
# - "compact": any stride. col is (N, C, FH, FW, OH, OW), built by strided slice copies.
# - "batched": any stride, for many channels on small images (DeepConvNet's 8x8 to 28x28 maps),
#   whose per-image products are too small for BLAS to run well and whose rows are too short
#   for fast copies. A chunk of images is padded into a buffer stored batch innermost,
#   (C, Hp, Wp, images), so that every window copy moves runs of OW*images values, and one
#   product covers the chunk: W (FN, C*FH*FW) @ col (C*FH*FW, OH*OW*images). Its result
#   (FN, OH, OW, images) is transposed into the output as the bias is added.
def choose_layout(window: Window2d, group_channels: int = 1) -> str:
    if window.kernel == (1, 1) and window.stride == (1, 1) and window.is_unpadded:
        return "view"
    if group_channels >= BATCHED_MIN_CHANNELS and window.out_hw[1] <= BATCHED_MAX_WIDTH:
        return "batched"
    if window.stride == (1, 1) and window.padded_hw[1] <= WIDE_MAX_EXTRA * window.out_hw[1]:
        return "wide"
    return "compact"


def _wide_offsets(window: Window2d) -> list[int]:
    (kh, kw), (dh, dw), wp = window.kernel, window.dilation, window.padded_hw[1]
    return [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]


def _wide_length(window: Window2d) -> int:
    """Length of one flattened padded image plus the zeros the last taps read past its end."""
    hp, wp = window.padded_hw
    return hp * wp + (window.kernel[1] - 1) * window.dilation[1]


def reuse_or_new(array, shape, dtype) -> np.ndarray:
    """``array`` when it has this shape and dtype (memory from an earlier call), else a new one."""
    if array is not None and array.shape == shape and array.dtype == dtype:
        return array
    return np.empty(shape, dtype=dtype)


def images_per_chunk(bytes_per_image: int, most: int | None = None) -> int:
    """How many images' unrolled windows one thread multiplies at once (at least one):
    ``min(chunk_mb, memory_mb / threads)`` of them (see :mod:`tatamikomi.config`), and at most
    ``most`` bytes when given."""
    chunk = min(chunk_bytes(), memory_budget() // threads())
    if most is not None:
        chunk = min(chunk, most)
    return max(1, chunk // bytes_per_image)


def keeps_col(nbytes: int) -> bool:
    """Whether unrolled windows of ``nbytes`` (a whole batch's) are kept for backward."""
    return nbytes <= min(KEEP_COL_BYTES, memory_budget())


class Unroller:
    """The input of a convolution as its layout reads it, and its windows unrolled a chunk at
    a time: ``self(part) -> (images, groups, Cg*FH*FW, P)``, P being OH*OW, or OH*Wp in the
    "wide" layout (a fresh buffer, or a view of the input in the "view" layout); in the
    "batched" layout ``(1, groups, Cg*FH*FW, OH*OW*images)``, one matrix for the chunk.

    ``images`` is the (padded) input as the layout reads it: "wide" always copies (its flat
    rows need trailing zeros), "compact" only to pad, "view" and "batched" never ("batched"
    pads each chunk into a scratch buffer). ``owned``: it is our copy, which a later call may
    reuse.
    """

    def __init__(self, images, layout, window: Window2d, groups: int, owned=False, source=None):
        self.images, self.layout, self.window, self.groups = images, layout, window, groups
        self.owned, self.source = owned, source  # source: the input that pad() copies in
        (self.oh, self.ow), (fh, fw) = window.out_hw, window.kernel
        self.channels = images.shape[1]
        self.taps = fh * fw
        hp, wp = window.padded_hw
        self.positions = self.oh * (wp if layout == "wide" else self.ow)
        self.offsets = _wide_offsets(window) if layout == "wide" else None
        per_image = self.channels * self.taps * self.positions * images.itemsize
        most = BATCHED_CHUNK_BYTES if layout == "batched" else None
        self.images_per_chunk = images_per_chunk(per_image, most)
        self.size = images.shape[0] * self.channels * self.taps * self.positions
        self.kept = None  # the whole batch's unrolled windows, when kept for backward
        self.chunk = threading.local()  # "batched": .padded, this thread's chunk, padded

    @classmethod
    def for_input(
        cls, source, window: Window2d, groups: int, reuse=None, keep=True
    ) -> "Unroller":
        """Buffers for the (padded) input ``source`` (N, C, H, W), reusing those of ``reuse``
        (an earlier call's cache) where they fit; the padding is copied in by :meth:`pad`.
        ``keep``: a backward pass is expected, for which small unrolled windows are kept."""
        n, channels = source.shape[:2]
        layout = choose_layout(window, channels // groups)
        (hp, wp), dtype = window.padded_hw, source.dtype
        owned = layout == "wide" or (layout == "compact" and not window.is_unpadded)
        previous = reuse.images if reuse is not None and reuse.owned else None
        if layout == "wide":
            images = reuse_or_new(previous, (n, channels, _wide_length(window)), dtype)
        elif owned:
            images = reuse_or_new(previous, (n, channels, hp, wp), dtype)
        else:
            images = source
        unroller = cls(images, layout, window, groups, owned, source)
        # Small unrolled windows (a first layer's: few channels) are kept for the backward pass,
        # which then need not unroll them again. (Not in the "batched" layout: writing them out
        # of the cache cost more than unrolling them again, measured on DeepConvNet's layers.)
        kept_layout = layout in ("wide", "compact")
        if keep and kept_layout and keeps_col(unroller.size * np.dtype(dtype).itemsize):
            previous_col = reuse.col if reuse is not None else None
            unroller.kept = reuse_or_new(previous_col, unroller.shape(n), dtype)
        return unroller

    def shape(self, count: int) -> tuple:
        rows = self.channels // self.groups * self.taps
        if self.layout == "batched":
            return (1, self.groups, rows, self.positions * count)
        return (count, self.groups, rows, self.positions)

    def chunks(self, batch: slice):
        """The images of ``batch``, a chunk at a time."""
        return _parallel.chunks(batch, self.images_per_chunk)

    def pad(self, part: slice, padding_mode: str) -> None:
        """Copy the images of ``part`` into the padded buffer (if the layout has one)."""
        if self.layout == "batched":
            count = part.stop - part.start
            hp, wp = self.window.padded_hw
            shape = (self.channels, hp, wp, count)
            padded = self.chunk.padded = _parallel.scratch("padded", shape, self.images.dtype)
            pad2d(self.images[part], self.window.pads, padding_mode, out=_images_first(padded))
            return
        if not self.owned:
            return
        hp, wp = self.window.padded_hw
        if self.layout == "wide":
            view = self.images[..., : hp * wp].reshape(self.images.shape[:2] + (hp, wp))
        else:
            view = self.images
        pad2d(self.source[part], self.window.pads, padding_mode, out=view[part])
        if self.layout == "wide":
            self.images[part, :, hp * wp :] = 0

    def __call__(self, part: slice, out=None) -> np.ndarray:
        """The windows of ``part``; "batched": of the chunk :meth:`pad` prepared last."""
        images = self.images[part]
        count = images.shape[0]
        if self.layout == "view":
            return images.reshape(self.shape(count))
        if self.layout == "batched":
            (fh, fw), (oh, ow) = self.window.kernel, self.window.out_hw
            shape = (self.channels, fh, fw, oh, ow, count)
            col = _parallel.scratch("col", shape, images.dtype) if out is None else out
            col = col.reshape(shape)
            for i in range(fh):
                for j in range(fw):
                    rows, cols = tap_slices(self.window, i, j)
                    col[:, i, j] = self.chunk.padded[:, rows, cols]
            return col.reshape(self.shape(count))
        if out is None and self.kept is not None:
            out = self.kept[part]
        shape = (count, self.channels, self.taps, self.positions)
        col = _parallel.scratch("col", shape, images.dtype) if out is None else out.reshape(shape)
        if self.layout == "wide":
            for k, offset in enumerate(self.offsets):
                col[:, :, k] = images[:, :, offset : offset + self.positions]
        else:
            unfold(images, self.window, out=col)
        return col.reshape(self.shape(count))

    def product_buffer(self, out: np.ndarray, part: slice) -> np.ndarray:
        """Where ``W @ col`` of ``part`` goes: the output itself, or, in the "wide" layout, a
        scratch array Wp wide (whose wrap-around columns :meth:`to_output` drops), or in the
        "batched" layout one (1, groups, FN/groups, OH*OW*images) for the chunk."""
        target = out[part]
        if self.layout == "batched":
            shape = (1,) + target.shape[1:3] + (target.shape[3] * target.shape[0],)
            return _parallel.scratch("product", shape, target.dtype)
        if self.layout != "wide":
            return target
        shape = target.shape[:3] + (self.oh * self.window.padded_hw[1],)
        return _parallel.scratch("product", shape, target.dtype)

    def to_output(self, product, bias_column, out: np.ndarray, part: slice) -> None:
        """Add the bias (if any) to the product of ``part``, into ``out``."""
        target = out[part]
        if self.layout == "batched":  # (groups, FN/groups, P, images) -> (images, ...)
            product = product.reshape(target.shape[1:] + (target.shape[0],))
            product = product.transpose(3, 0, 1, 2)
            if bias_column is None:
                target[...] = product
            else:
                np.add(product, bias_column, out=target)
            return
        if self.layout != "wide":
            if bias_column is not None:
                target += bias_column
            return
        wp = self.window.padded_hw[1]
        product = product.reshape(product.shape[:3] + (self.oh, wp))
        target = target.reshape(target.shape[:3] + (self.oh, self.ow))
        if bias_column is None:
            target[...] = product[..., : self.ow]
        else:
            np.add(product[..., : self.ow], bias_column[..., None], out=target)

    def to_product_grid(self, grads: np.ndarray) -> np.ndarray:
        """dout of some images as the product was laid out: in the "wide" layout Wp wide, with
        zeros in the wrap-around columns (which keeps them out of every gradient); in the
        "batched" layout (1, groups, FN/groups, OH*OW*images), batch innermost."""
        if self.layout == "batched":
            count = grads.shape[0]
            batched = _parallel.scratch("dout", grads.shape[1:] + (count,), grads.dtype)
            batched[...] = grads.transpose(1, 2, 3, 0)
            return batched.reshape((1,) + grads.shape[1:3] + (grads.shape[3] * count,))
        if self.layout != "wide":
            return grads
        wp = self.window.padded_hw[1]
        wide = _parallel.scratch("dout", grads.shape[:3] + (self.oh, wp), grads.dtype)
        wide[..., : self.ow] = grads.reshape(grads.shape[:3] + (self.oh, self.ow))
        wide[..., self.ow :] = 0
        return wide.reshape(grads.shape[:3] + (self.positions,))

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        """The adjoint: sum unrolled gradients onto the padded images, (images, C, Hp, Wp)."""
        count = dcol.shape[0]
        if self.layout == "view":
            return dcol.reshape((count,) + self.images.shape[1:])
        if self.layout == "batched":  # a view (images, C, Hp, Wp) of batch-innermost memory
            (fh, fw), (oh, ow) = self.window.kernel, self.window.out_hw
            count = dcol.size // (self.channels * self.taps * oh * ow)
            taps = dcol.reshape(self.channels, fh, fw, oh, ow, count)
            hp, wp = self.window.padded_hw
            target = _parallel.scratch("fold", (self.channels, hp, wp, count), dcol.dtype)
            target[...] = 0
            for i in range(fh):
                for j in range(fw):
                    rows, cols = tap_slices(self.window, i, j)
                    target[:, rows, cols] += taps[:, i, j]
            return _images_first(target)
        if self.layout == "wide":
            hp, wp = self.window.padded_hw
            target = _parallel.scratch("fold", (count,) + self.images.shape[1:], dcol.dtype)
            target[...] = 0
            taps = dcol.reshape(count, self.channels, self.taps, self.positions)
            for k, offset in enumerate(self.offsets):
                target[:, :, offset : offset + self.positions] += taps[:, :, k]
            return target[..., : hp * wp].reshape(count, self.channels, hp, wp)
        fh, fw = self.window.kernel
        return fold(dcol.reshape(count, self.channels, fh, fw, self.oh, self.ow), self.window)


def _images_first(batched: np.ndarray) -> np.ndarray:
    """A (C, H, W, images) array seen as (images, C, H, W), without a copy."""
    return batched.transpose(3, 0, 1, 2)


def input_gradient_by_convolution(cache) -> bool:
    """Whether dx is better computed as a convolution of dout (see :func:`input_gradient`)
    than by folding the unrolled gradient back (col2im).

    The fold adds FH*FW shifted copies into the input, row by row; for a layer with many input
    channels and small images those are many short rows, and it took a third of DeepConvNet's
    backward pass. The convolution needs stride 1, zero padding of at most the window's reach,
    and pays off from about 8 input channels (with one, its matrix product has a single row).
    In the "batched" layout, whose fold adds long runs, the fold stays when there are more
    filters than input channels: it then moves less data than unrolling dout (measured on
    DeepConvNet's 16->32 and 32->64 layers, 2 threads: 13 against 15 ms)."""
    window = cache.window
    filters, group_channels = cache.weight_shape[:2]
    groups = cache.weight.shape[0]
    if cache.layout == "batched" and filters // groups > group_channels:
        return False
    reach_h = window.dilation[0] * (window.kernel[0] - 1)
    reach_w = window.dilation[1] * (window.kernel[1] - 1)
    top, bottom, left, right = window.pads
    return (
        window.stride == (1, 1)
        and cache.padding_mode == "zeros"
        and not any(window.extra)
        and window.kernel != (1, 1)
        and top == bottom <= reach_h
        and left == right <= reach_w
        and cache.weight.shape[2] // (window.kernel[0] * window.kernel[1]) >= 8
    )


def input_gradient(dout, cache, convolve) -> np.ndarray:
    """dx of a stride-1 convolution, as the forward convolution (``convolve``, i.e.
    :func:`.conv.conv2d_forward`) of dout with the filters turned by 180 degrees and their
    input and output channels swapped (per group), padded by the window's reach minus the
    forward padding:

        dx[n, c, y, x] = sum_{f, i, j} dout[n, f, y + p - i*d, x + q - j*d] * W[f, c, i, j]

    (terms outside dout are zero). The result equals the fold's up to float rounding."""
    window = cache.window
    groups = cache.weight.shape[0]
    filters, group_channels, fh, fw = cache.weight_shape
    turned = (
        cache.weight.reshape(groups, filters // groups, group_channels, fh, fw)
        .transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
        .reshape(groups * group_channels, filters // groups, fh, fw)
    )
    (dh, dw), (top, _, left, _) = window.dilation, window.pads
    padding = (dh * (fh - 1) - top, dw * (fw - 1) - left)
    dx, _ = convolve(dout, turned, None, 1, padding, window.dilation, groups, keep=False)
    return dx
