"""Batch normalisation: the book's :class:`BatchNormalization` and PyTorch's
:class:`BatchNorm2d` (also built for ``"BatchNorm1d"``)."""

from __future__ import annotations

import numpy as np

from .._checks import DEFAULT_DTYPE, non_empty_batch
from .base import Layer, _Entry, _parameter
from .. import i18n


class BatchNormalization(Layer):
    """Batch normalisation, per feature on (N, D) and per channel on (N, C, H, W) input.

    Training: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the batch's mean and
    (biased) variance, which also update ``running_mean``/``running_var`` as
    ``running = momentum * running + (1 - momentum) * batch`` (the book's convention; momentum
    is the share kept). Eval mode uses the running statistics.

    Shape: (N, D) -> (N, D), or (N, C, H, W) -> (N, C, H, W); gamma, beta (D,) or (C,).
    """

    gamma = _Entry("params", "gamma")
    beta = _Entry("params", "beta")
    dgamma = _Entry("grads", "gamma")
    dbeta = _Entry("grads", "beta")
    running_mean = _Entry("buffers", "running_mean")
    running_var = _Entry("buffers", "running_var")

    _backward_state = ("_cache",)
    spec_type = "BatchNormalization"
    spec_options = frozenset({"momentum", "eps", "unbiased_running_var", "affine"})
    kind = "normalization"
    book_name = "BatchNorm"

    def __init__(
        self,
        gamma,
        beta,
        momentum=0.9,
        running_mean=None,
        running_var=None,
        *,
        eps=1e-6,
        unbiased_running_var=False,
        track_running_stats=True,
        affine=True,
    ):
        super().__init__()
        gamma = _parameter(gamma, "gamma").reshape(-1)
        beta = _parameter(beta, "beta", gamma.dtype).reshape(-1)
        if gamma.shape != beta.shape:
            raise i18n.error(
                ValueError, "errors.normalization_gamma_beta_have", gamma_shape=gamma.shape,
                beta_shape=beta.shape,
            )
        if affine:
            self.gamma, self.beta = gamma, beta
        else:
            self._fixed = (gamma, beta)
        if not 0 <= momentum <= 1:
            raise i18n.error(ValueError, "errors.normalization_momentum", momentum=momentum)
        self.momentum, self.eps = float(momentum), float(eps)
        self.unbiased_running_var = unbiased_running_var
        self.track_running_stats = track_running_stats
        features = gamma.shape[0]
        self.running_mean = (
            np.zeros(features, gamma.dtype)
            if running_mean is None
            else _parameter(running_mean, "running_mean", gamma.dtype)
        )
        self.running_var = (
            np.ones(features, gamma.dtype)
            if running_var is None
            else _parameter(running_var, "running_var", gamma.dtype)
        )
        self._cache = None

    def scale_and_shift(self):
        """(gamma, beta) as applied: the trained ones, or the fixed ones when affine=False."""
        return (self.gamma, self.beta) if "gamma" in self.params else self._fixed

    def to_spec(self) -> dict:
        return {
            "type": "BatchNormalization",
            "momentum": self.momentum,
            "eps": self.eps,
            "unbiased_running_var": bool(self.unbiased_running_var),
            "affine": "gamma" in self.params,
        }

    @classmethod
    def _build(cls, shape, rng, dtype, affine=True, **options):
        ones = np.ones(shape[0], dtype)
        return BatchNormalization(ones, np.zeros_like(ones), affine=affine, **options)

    def output_shape(self, input_shape):
        features = self.running_mean.shape[0]
        if len(input_shape) not in (1, 3) or input_shape[0] != features:
            raise i18n.error(
                ValueError, "errors.normalization_normalises_channels_features",
                kind=type(self).__name__, features=features, tuple_input_shape=tuple(input_shape),
            )
        return tuple(int(s) for s in input_shape)

    def _axes(self, x):
        features = self.running_mean.shape[0]
        if x.ndim == 2:
            axes, channel_axis = (0,), 1
        elif x.ndim == 4:
            axes, channel_axis = (0, 2, 3), 1
        else:
            raise i18n.error(
                ValueError, "errors.normalization_batch_normalisation_takes", x_shape=x.shape,
            )
        if x.shape[channel_axis] != features:
            raise i18n.error(
                ValueError, "errors.normalization_input_channels_features",
                x_shape_channel_axis=x.shape[channel_axis], x_shape=x.shape, features=features,
            )
        shape = [1] * x.ndim
        shape[channel_axis] = features
        return axes, tuple(shape)

    def forward(self, x):
        x = self._input(x)
        axes, shape = self._axes(x)
        gamma, beta = self.scale_and_shift()
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            non_empty_batch(
                x, i18n.Said("errors.the_input"), i18n.Said("errors.batchnorm_statistics")
            )
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = (centred * centred).mean(axis=axes)
            if self.training and self.track_running_stats:
                count = x.size // mean.size
                batch_var = var * count / max(count - 1, 1) if self.unbiased_running_var else var
                keep = self.momentum
                self.running_mean = (keep * self.running_mean + (1 - keep) * mean).astype(
                    self.running_mean.dtype
                )
                self.running_var = (keep * self.running_var + (1 - keep) * batch_var).astype(
                    self.running_var.dtype
                )
        else:
            mean, var = self.running_mean, self.running_var
            centred = x - mean.reshape(shape)
        std = np.sqrt(var + self.eps).astype(x.dtype)
        normalised = centred / std.reshape(shape)
        self._cache = (normalised, std, axes, shape, use_batch)
        return gamma.reshape(shape) * normalised + beta.reshape(shape)

    def backward(self, dout):
        self._require_forward(self._cache)
        normalised, std, axes, shape, use_batch = self._cache
        dout = np.asarray(dout)
        gamma, _ = self.scale_and_shift()
        if "gamma" in self.params:
            self.dbeta = dout.sum(axis=axes).astype(gamma.dtype, copy=False)
            self.dgamma = (dout * normalised).sum(axis=axes).astype(gamma.dtype, copy=False)
        dnorm = dout * gamma.reshape(shape)
        if use_batch:
            dnorm = (
                dnorm
                - dnorm.mean(axis=axes, keepdims=True)
                - normalised * (dnorm * normalised).mean(axis=axes, keepdims=True)
            )
        return dnorm / std.reshape(shape)


class BatchNorm2d(BatchNormalization):
    """PyTorch's name and arguments: ``momentum`` is the share of the new batch (0.1), the
    running variance is unbiased, eps is 1e-5. ``weight``/``bias`` are ``gamma``/``beta``.

    Shape: (N, num_features, H, W) -> the same (or (N, num_features) -> the same).
    """

    weight = _Entry("params", "gamma")
    bias = _Entry("params", "beta")
    spec_type = "BatchNorm2d"
    spec_aliases = ("BatchNorm1d",)
    spec_options = frozenset({"eps", "momentum", "affine", "track_running_stats"})

    @classmethod
    def _build(cls, shape, rng, dtype, **options):
        if len(shape) not in (1, 3):
            raise i18n.error(
                ValueError, "errors.normalization_batch_normalisation_needs", shape=shape,
            )
        return cls(shape[0], **options, dtype=dtype)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        *,
        dtype=DEFAULT_DTYPE,
    ):
        super().__init__(
            np.ones(num_features, dtype),
            np.zeros(num_features, dtype),
            momentum=1 - momentum,
            eps=eps,
            unbiased_running_var=True,
            track_running_stats=track_running_stats,
            affine=affine,
        )
