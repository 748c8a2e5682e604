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


def choose_layout(window: Window2d, group_channels: int = 1) -> str:
    """The name of the layout (a key of :data:`LAYOUTS`) that unrolls windows of ``window``
    with ``group_channels`` input channels per group; each layout's class says when it pays."""
    if window.kernel == (1, 1) and window.stride == (1, 1) and window.is_unpadded:
        return "view"
    if group_channels >= BATCHED_MIN_CHANNELS and window.out_hw[1] <= BATCHED_MAX_WIDTH:
        return "batched"
    if window.stride == (1, 1) and window.padded_hw[1] <= WIDE_MAX_EXTRA * window.out_hw[1]:
        return "wide"
    return "compact"


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


def unroller(images, layout: str, window: Window2d, groups: int, owned=False, source=None):
    """The :class:`Unroller` of ``layout`` (a name of :data:`LAYOUTS`) over ``images``, the
    input as that layout reads it (a forward pass's cache)."""
    return LAYOUTS[layout](images, window, groups, owned, source)


class Unroller:
    """The input of a convolution as its layout reads it, and its windows unrolled a chunk at
    a time: ``self(part) -> (images, groups, Cg*FH*FW, P)``, P being OH*OW (OH*Wp in the
    "wide" layout). One subclass per layout, chosen once (:func:`choose_layout`), says how the
    windows are laid out in memory; this base writes the product straight into the output.

    ``images`` is the (padded) input as the layout reads it. ``owned``: it is our copy, which a
    later call may reuse.
    """

    #: the layout's name, as :func:`choose_layout` gives it and a cache keeps it
    layout = ""
    #: whether a small batch's unrolled windows may be kept for the backward pass
    keeps_windows = True
    #: the most bytes of windows one chunk unrolls (None: the configured chunk)
    chunk_limit: int | None = None

    def __init__(self, images, window: Window2d, groups: int, owned=False, source=None):
        self.images, self.window, self.groups = images, window, groups
        self.owned, self.source = owned, source  # source: the input that pad() copies in
        (self.oh, self.ow), (fh, fw) = window.out_hw, window.kernel
        self.channels = images.shape[1]
        self.taps = fh * fw
        self.positions = self.oh * self.row_length(window)
        per_image = self.channels * self.taps * self.positions * images.itemsize
        self.images_per_chunk = images_per_chunk(per_image, self.chunk_limit)
        self.size = images.shape[0] * self.channels * self.taps * self.positions
        self.kept = None  # the whole batch's unrolled windows, when kept for backward

    @staticmethod
    def row_length(window: Window2d) -> int:
        """How long a row of the product is: here, the output's width."""
        return window.out_hw[1]

    @classmethod
    def input_buffer(cls, source, window: Window2d, previous):
        """The images this layout reads for the input ``source`` (reusing ``previous``, an
        earlier call's own copy, where it fits), and whether they are our copy."""
        return source, False

    @staticmethod
    def for_input(source, window: Window2d, groups: int, reuse=None, keep=True) -> "Unroller":
        """Buffers for the (padded) input ``source`` (N, C, H, W), reusing those of ``reuse``
        (an earlier call's cache) where they fit; the padding is copied in by :meth:`pad`.
        ``keep``: a backward pass is expected, for which small unrolled windows are kept."""
        n, channels = source.shape[:2]
        cls = LAYOUTS[choose_layout(window, channels // groups)]
        previous = reuse.images if reuse is not None and reuse.owned else None
        images, owned = cls.input_buffer(source, window, previous)
        unroll = cls(images, window, groups, owned, source)
        # Small unrolled windows (a first layer's: few channels) are kept for the backward pass,
        # which then need not unroll them again.
        itemsize = np.dtype(source.dtype).itemsize
        if keep and cls.keeps_windows and keeps_col(unroll.size * itemsize):
            previous_col = reuse.col if reuse is not None else None
            unroll.kept = reuse_or_new(previous_col, unroll.shape(n), source.dtype)
        return unroll

    def shape(self, count: int) -> tuple:
        return (count, self.groups, self.channels // self.groups * self.taps, self.positions)

    def chunks(self, batch: slice):
        """The images of ``batch``, a chunk at a time."""
        return _parallel.chunks(batch, self.images_per_chunk)

    def pad(self, part: slice, padding_mode: str) -> None:
        """Copy the images of ``part`` into the padded buffer (if the layout has one)."""

    def _col(self, part: slice, out) -> np.ndarray:
        """Where the windows of ``part`` go, as (images, C, FH*FW, P): ``out``, else the kept
        copy, else a scratch buffer."""
        if out is None and self.kept is not None:
            out = self.kept[part]
        shape = (self.images[part].shape[0], self.channels, self.taps, self.positions)
        if out is None:
            return _parallel.scratch("col", shape, self.images.dtype)
        return out.reshape(shape)

    def __call__(self, part: slice, out=None) -> np.ndarray:
        """The windows of ``part``."""
        raise NotImplementedError

    def product_buffer(self, out: np.ndarray, part: slice) -> np.ndarray:
        """Where ``W @ col`` of ``part`` goes: here, the output itself."""
        return out[part]

    def to_output(self, product, bias_column, out: np.ndarray, part: slice) -> None:
        """Add the bias (if any) to the product of ``part``, into ``out``."""
        if bias_column is not None:
            target = out[part]  # a view: += adds in place, with no copy back
            target += bias_column

    def to_product_grid(self, grads: np.ndarray) -> np.ndarray:
        """dout of some images as the product was laid out: here, as it is."""
        return grads

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        """The adjoint: sum unrolled gradients onto the padded images, (images, C, Hp, Wp)."""
        raise NotImplementedError


class ViewLayout(Unroller):
    """A 1x1 filter, stride 1, no padding sees every pixel once: col is the input itself (a
    view, never a copy)."""

    layout = "view"
    keeps_windows = False

    def __call__(self, part: slice, out=None) -> np.ndarray:
        images = self.images[part]
        return images.reshape(self.shape(images.shape[0]))

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        return dcol.reshape((dcol.shape[0],) + self.images.shape[1:])


class CompactLayout(Unroller):
    """Any stride. col is (N, C, FH, FW, OH, OW), built by strided slice copies; the input is
    copied only to pad it."""

    layout = "compact"

    @classmethod
    def input_buffer(cls, source, window, previous):
        if window.is_unpadded:
            return source, False
        n, channels = source.shape[:2]
        return reuse_or_new(previous, (n, channels, *window.padded_hw), source.dtype), True

    def pad(self, part: slice, padding_mode: str) -> None:
        if self.owned:
            pad2d(self.source[part], self.window.pads, padding_mode, out=self.images[part])

    def __call__(self, part: slice, out=None) -> np.ndarray:
        col = self._col(part, out)
        unfold(self.images[part], self.window, out=col)
        return col.reshape(self.shape(col.shape[0]))

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        count, (fh, fw) = dcol.shape[0], self.window.kernel
        return fold(dcol.reshape(count, self.channels, fh, fw, self.oh, self.ow), self.window)


class WideLayout(Unroller):
    """Stride 1, and rows not much wider than the output. Each padded image is flattened per
    channel (with a few zeros after it), so that filter tap (i, j) sees, at all output
    positions, one contiguous run ``flat[c, i*dh*Wp + j*dw : ... + OH*Wp]``. Rows are computed
    Wp wide instead of OW wide: the extra Wp - OW columns wrap around into the next row; their
    outputs are dropped and zeros in dout keep them out of every gradient. Copies and sums then
    move long contiguous runs. The input is always copied (its flat rows need trailing
    zeros)."""

    layout = "wide"

    def __init__(self, images, window, groups, owned=False, source=None):
        super().__init__(images, window, groups, owned, source)
        (kh, kw), (dh, dw), self.wp = window.kernel, window.dilation, window.padded_hw[1]
        self.offsets = [i * dh * self.wp + j * dw for i in range(kh) for j in range(kw)]

    @staticmethod
    def row_length(window: Window2d) -> int:
        """Wp: the padded input's width, wrap-around columns included."""
        return window.padded_hw[1]

    @classmethod
    def input_buffer(cls, source, window, previous):
        hp, wp = window.padded_hw
        # one flattened padded image plus the zeros the last taps read past its end
        length = hp * wp + (window.kernel[1] - 1) * window.dilation[1]
        return reuse_or_new(previous, (*source.shape[:2], length), source.dtype), True

    def pad(self, part: slice, padding_mode: str) -> None:
        hp, wp = self.window.padded_hw
        view = self.images[..., : hp * wp].reshape(self.images.shape[:2] + (hp, wp))
        pad2d(self.source[part], self.window.pads, padding_mode, out=view[part])
        self.images[part, :, hp * wp :] = 0

    def __call__(self, part: slice, out=None) -> np.ndarray:
        images = self.images[part]
        col = self._col(part, out)
        for k, offset in enumerate(self.offsets):
            col[:, :, k] = images[:, :, offset : offset + self.positions]
        return col.reshape(self.shape(col.shape[0]))

    def product_buffer(self, out: np.ndarray, part: slice) -> np.ndarray:
        """A scratch array Wp wide, whose wrap-around columns :meth:`to_output` drops."""
        target = out[part]
        return _parallel.scratch("product", target.shape[:3] + (self.positions,), target.dtype)

    def to_output(self, product, bias_column, out: np.ndarray, part: slice) -> None:
        target = out[part]
        product = product.reshape(product.shape[:3] + (self.oh, self.wp))
        target = target.reshape(target.shape[:3] + (self.oh, self.ow))
        if bias_column is None:
            target[...] = product[..., : self.ow]
        else:
            np.add(product[..., : self.ow], bias_column[..., None], out=target)

    def to_product_grid(self, grads: np.ndarray) -> np.ndarray:
        """Wp wide, with zeros in the wrap-around columns (which keeps them out of every
        gradient)."""
        wide = _parallel.scratch("dout", grads.shape[:3] + (self.oh, self.wp), grads.dtype)
        wide[..., : self.ow] = grads.reshape(grads.shape[:3] + (self.oh, self.ow))
        wide[..., self.ow :] = 0
        return wide.reshape(grads.shape[:3] + (self.positions,))

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        count, (hp, wp) = dcol.shape[0], self.window.padded_hw
        target = _parallel.scratch("fold", (count,) + self.images.shape[1:], dcol.dtype)
        target[...] = 0
        taps = dcol.reshape(count, self.channels, self.taps, self.positions)
        for k, offset in enumerate(self.offsets):
            target[:, :, offset : offset + self.positions] += taps[:, :, k]
        return target[..., : hp * wp].reshape(count, self.channels, hp, wp)


class BatchedLayout(Unroller):
    """Any stride, for many channels on small images (DeepConvNet's 8x8 to 28x28 maps), whose
    per-image products are too small for BLAS to run well and whose rows are too short for fast
    copies. A chunk of images is padded into a buffer stored batch innermost, (C, Hp, Wp,
    images), so that every window copy moves runs of OW*images values, and one product covers
    the chunk: W (FN, C*FH*FW) @ col (C*FH*FW, OH*OW*images), so ``self(part)`` is
    ``(1, groups, Cg*FH*FW, OH*OW*images)``. Its result (FN, OH, OW, images) is transposed into
    the output as the bias is added. The input itself is never copied."""

    layout = "batched"
    # Not kept for backward: writing them out of the cache cost more than unrolling them
    # again, measured on DeepConvNet's layers.
    keeps_windows = False

    def __init__(self, images, window, groups, owned=False, source=None):
        super().__init__(images, window, groups, owned, source)
        self.chunk = threading.local()  # .padded, this thread's chunk, padded

    @property
    def chunk_limit(self) -> int:
        return BATCHED_CHUNK_BYTES

    def shape(self, count: int) -> tuple:
        rows = self.channels // self.groups * self.taps
        return (1, self.groups, rows, self.positions * count)

    def pad(self, part: slice, padding_mode: str) -> None:
        count = part.stop - part.start
        hp, wp = self.window.padded_hw
        shape = (self.channels, hp, wp, count)
        padded = self.chunk.padded = _parallel.scratch("padded", shape, self.images.dtype)
        pad2d(self.images[part], self.window.pads, padding_mode, out=_images_first(padded))

    def __call__(self, part: slice, out=None) -> np.ndarray:
        """The windows of the chunk :meth:`pad` prepared last."""
        images = self.images[part]
        count = images.shape[0]
        (fh, fw), (oh, ow) = self.window.kernel, self.window.out_hw
        shape = (self.channels, fh, fw, oh, ow, count)
        col = _parallel.scratch("col", shape, images.dtype) if out is None else out
        col = col.reshape(shape)
        for i in range(fh):
            for j in range(fw):
                rows, cols = tap_slices(self.window, i, j)
                col[:, i, j] = self.chunk.padded[:, rows, cols]
        return col.reshape(self.shape(count))

    def product_buffer(self, out: np.ndarray, part: slice) -> np.ndarray:
        """One (1, groups, FN/groups, OH*OW*images) for the chunk."""
        target = out[part]
        shape = (1,) + target.shape[1:3] + (target.shape[3] * target.shape[0],)
        return _parallel.scratch("product", shape, target.dtype)

    def to_output(self, product, bias_column, out: np.ndarray, part: slice) -> None:
        target = out[part]  # (groups, FN/groups, P, images) -> (images, ...)
        product = product.reshape(target.shape[1:] + (target.shape[0],))
        product = product.transpose(3, 0, 1, 2)
        if bias_column is None:
            target[...] = product
        else:
            np.add(product, bias_column, out=target)

    def to_product_grid(self, grads: np.ndarray) -> np.ndarray:
        """(1, groups, FN/groups, OH*OW*images), batch innermost."""
        count = grads.shape[0]
        batched = _parallel.scratch("dout", grads.shape[1:] + (count,), grads.dtype)
        batched[...] = grads.transpose(1, 2, 3, 0)
        return batched.reshape((1,) + grads.shape[1:3] + (grads.shape[3] * count,))

    def fold(self, dcol: np.ndarray) -> np.ndarray:
        """A view (images, C, Hp, Wp) of batch-innermost memory."""
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


#: layout name -> its Unroller class
LAYOUTS = {cls.layout: cls for cls in (ViewLayout, CompactLayout, WideLayout, BatchedLayout)}


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
