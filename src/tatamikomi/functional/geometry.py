"""Where a sliding window goes: output sizes and padding, for convolution and pooling alike.

One home for the output-size formula of the lecture,

    OH = (H + 2*pad - FH) // stride + 1,

generalised to dilation (a window of FH taps spans ``dilation*(FH-1) + 1`` pixels), to
padding that differs before and after (``'same'`` with an even filter), and to ``ceil_mode``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import i18n
from .._checks import non_negative_pair, positive_pair


def _span(filter_size: int, dilation: int) -> int:
    return dilation * (filter_size - 1) + 1


def conv_output_size(
    input_size: int,
    filter_size: int,
    stride: int = 1,
    pad: int | tuple[int, int] = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Number of window positions along one axis.

    ``(input_size + pad_before + pad_after - dilation*(filter_size-1) - 1) // stride + 1``, where an
    int ``pad`` pads both sides. With ``ceil_mode`` the division rounds up, but (as in PyTorch) a
    window may not start in the padding after the input.

    >>> conv_output_size(4, 3)            # the lecture: 4x4 input, 3x3 filter -> 2x2
    2
    >>> conv_output_size(4, 3, pad=1)     # padding 1 keeps 4x4
    4
    """
    for label, value, low in (
        ("input_size", input_size, 1),
        ("filter_size", filter_size, 1),
        ("stride", stride, 1),
        ("dilation", dilation, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise i18n.error(
                ValueError, "errors.geometry_int_least", label=label, low=low, value=value,
            )
    before, after = (pad, pad) if isinstance(pad, int) else pad
    if before < 0 or after < 0:
        raise i18n.error(ValueError, "errors.geometry_pad_negative", pad=pad)
    span = _span(filter_size, dilation)
    room = input_size + before + after - span
    if room < 0:
        dilated = (
            i18n.Said("errors.window_dilated", dilation=dilation, span=span)
            if dilation != 1
            else ""
        )
        raise i18n.error(
            ValueError, "errors.window_too_big", size=filter_size, dilated=dilated,
            input=input_size, before=before, after=after, padded=input_size + before + after,
        )  # fmt: skip
    if not ceil_mode:
        return room // stride + 1
    out = -(-room // stride) + 1
    if (out - 1) * stride >= input_size + before:
        out -= 1
    return out


@dataclass(frozen=True)
class Window2d:
    """The geometry of a 2-D sliding window over an (H, W) input.

    ``pads`` is (top, bottom, left, right) as the caller asked; ``extra`` is what ``ceil_mode``
    adds after the bottom and right so that every window lies inside the padded array.
    """

    input_hw: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[int, int, int, int]
    out_hw: tuple[int, int]
    extra: tuple[int, int] = (0, 0)

    @property
    def padded_hw(self) -> tuple[int, int]:
        top, bottom, left, right = self.pads
        return (
            self.input_hw[0] + top + bottom + self.extra[0],
            self.input_hw[1] + left + right + self.extra[1],
        )

    @property
    def is_unpadded(self) -> bool:
        return not any(self.pads) and not any(self.extra)

    @property
    def tiles_exactly(self) -> bool:
        """Windows that do not overlap and cover the whole unpadded input (2x2 pooling, say)."""
        return (
            self.is_unpadded
            and self.kernel == self.stride
            and self.dilation == (1, 1)
            and self.out_hw[0] * self.kernel[0] == self.input_hw[0]
            and self.out_hw[1] * self.kernel[1] == self.input_hw[1]
        )


def resolve_padding(padding, kernel, dilation, stride) -> tuple[int, int, int, int]:
    """Turn an int, an (h, w) pair, ``'valid'`` or ``'same'`` into (top, bottom, left, right)."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0, 0, 0, 0
        if mode == "same":
            if stride != (1, 1):
                raise i18n.error(ValueError, "errors.geometry_padding_same_needs", stride=stride)
            total_h = dilation[0] * (kernel[0] - 1)
            total_w = dilation[1] * (kernel[1] - 1)
            # An odd total puts the extra row/column after the input, as PyTorch does.
            return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
        raise i18n.error(ValueError, "errors.geometry_padding_int_pair", padding=padding)
    ph, pw = non_negative_pair(padding, "padding")
    return ph, ph, pw, pw


def window2d(input_hw, kernel, stride=1, padding=0, dilation=1, ceil_mode=False) -> Window2d:
    """Compute the full geometry of a 2-D window (validated; raises on an empty output)."""
    kernel = positive_pair(kernel, "kernel_size")
    stride = positive_pair(stride, "stride")
    dilation = positive_pair(dilation, "dilation")
    pads = resolve_padding(padding, kernel, dilation, stride)
    out_h = conv_output_size(input_hw[0], kernel[0], stride[0], pads[0:2], dilation[0], ceil_mode)
    out_w = conv_output_size(input_hw[1], kernel[1], stride[1], pads[2:4], dilation[1], ceil_mode)
    extra = []
    for axis, out in ((0, out_h), (1, out_w)):
        needed = (out - 1) * stride[axis] + _span(kernel[axis], dilation[axis])
        have = input_hw[axis] + pads[2 * axis] + pads[2 * axis + 1]
        extra.append(max(0, needed - have))
    return Window2d(tuple(input_hw), kernel, stride, dilation, pads, (out_h, out_w), tuple(extra))


__all__ = ["conv_output_size", "Window2d", "window2d", "resolve_padding"]
