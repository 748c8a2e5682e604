"""PyTorch out and in: :func:`to_torch` gives a ``torch.nn.Sequential`` that computes what the
tatamikomi model computes, with the weights copied; :func:`from_torch` turns a
``torch.nn.Sequential`` of the supported modules back into a tatamikomi model.

:func:`save_torch` writes ``model.pt`` (the module's ``state_dict``, by ``torch.save``) and
``model.py`` beside it, a short generated file whose ``build()`` makes the module again and
``load()`` loads the weights. :func:`load_torch` reads the pair back without running the
generated file: it takes the module list from ``model.py`` as literals (``ast``) and the weights
with ``torch.load(weights_only=True)``.

What differs between the two libraries, and is taken care of here:

- the book's Affine keeps W as (in, out) and flattens its input; ``nn.Linear`` keeps
  ``weight`` as (out, in) and needs an ``nn.Flatten`` first;
- the book's batch-norm momentum is the share of the running statistics kept (0.9), PyTorch's
  the share of the new batch (0.1); PyTorch's running variance is always unbiased;
- global average pooling is ``nn.AdaptiveAvgPool2d(1)``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Callable, NamedTuple

import numpy as np

from .. import i18n
from .._files import atomic_writes
from . import _common
from . import _torch_files as files
from ._common import refuse
from ._torch_files import output_paths


def _torch():
    return _common.require("torch", "torch")

# ---------------------------------------------------------------------------------------------
# Export: each function gives [(module name, nn class name, keyword arguments, tensors)]


def _conv(name, layer, shape):
    FN, C_per_group, FH, FW = layer.W.shape
    padding = layer.pad if isinstance(layer.pad, str) else _common.pair_value(layer.pad)
    kwargs = dict(
        in_channels=int(shape[0]),
        out_channels=int(FN),
        kernel_size=_common.pair_value((FH, FW)),
        stride=_common.pair_value(layer.stride),
        padding=padding,
        dilation=_common.pair_value(layer.dilation),
        groups=int(layer.groups),
        bias=layer.b is not None,
        padding_mode=layer.padding_mode,
    )
    tensors = {"weight": layer.W}
    if layer.b is not None:
        tensors["bias"] = layer.b
    return [(name, "Conv2d", kwargs, tensors)]


def _linear(name, layer, shape):
    modules = []
    if len(shape) > 1:  # the book's Affine flattens (N, C, H, W) by itself
        modules.append((f"{name}_flatten", "Flatten", {}, {}))
    D, M = layer.W.shape
    tensors = {"weight": layer.W.T}
    if layer.b is not None:
        tensors["bias"] = layer.b
    kwargs = dict(in_features=int(D), out_features=int(M), bias=layer.b is not None)
    return modules + [(name, "Linear", kwargs, tensors)]


def _pool(name, layer, shape):
    kwargs = dict(
        kernel_size=_common.pair_value(layer.pool),
        stride=_common.pair_value(layer.stride),
        padding=_common.pair_value(layer.pad),
    )
    if layer.mode == "max":
        kwargs.update(dilation=_common.pair_value(layer.dilation), ceil_mode=bool(layer.ceil_mode))
        return [(name, "MaxPool2d", kwargs, {})]
    kwargs.update(ceil_mode=bool(layer.ceil_mode), count_include_pad=bool(layer.count_include_pad))
    return [(name, "AvgPool2d", kwargs, {})]


def _batchnorm(name, layer, shape):
    gamma, beta = layer.scale_and_shift()
    affine = "gamma" in layer.params
    if not affine and (np.any(gamma != 1) or np.any(beta != 0)):
        raise refuse(name, i18n.Said("errors.refuse_batch_normalisation_fixed"),
                     "PyTorch")  # fmt: skip
    kwargs = dict(
        num_features=int(shape[0]),
        eps=layer.eps,
        # PyTorch's momentum is the share of the new batch; the book's, the share kept
        momentum=_short(1 - layer.momentum),
        affine=affine,
        track_running_stats=bool(layer.track_running_stats),
    )
    tensors = {}
    if affine:
        tensors.update(weight=gamma, bias=beta)
    if layer.track_running_stats:
        tensors.update(running_mean=layer.running_mean, running_var=layer.running_var)
    return [(name, "BatchNorm2d" if len(shape) == 3 else "BatchNorm1d", kwargs, tensors)]


def _short(value: float) -> float:
    """1 - 0.9 as 0.1, not 0.09999999999999998 (the momentum a user wrote)."""
    return float(f"{value:.12g}")



def _simple(cls, **kwargs):
    return lambda name, layer, shape: [(name, cls, dict(kwargs), {})]



# ---------------------------------------------------------------------------------------------
# Import: each function gives (spec entry, the layer's arrays)


def _array(tensor):
    return tensor.detach().cpu().numpy().copy()


def _refuse_module(name, module, what) -> ValueError:
    return i18n.error(
        ValueError, "errors.torch_refuse_module", name=name, kind=type(module).__name__, what=what
    )


def _from_conv(name, m):
    if not isinstance(m.padding, str) and len(m.padding) != 2 or m.weight.ndim != 4:
        raise _refuse_module(name, m, i18n.Said("errors.refuse_convolution_that_d"))
    padding = m.padding if isinstance(m.padding, str) else _common.pair_value(m.padding)
    entry = {
        "type": "Conv2d",
        "out_channels": int(m.out_channels),
        "kernel_size": _common.pair_value(m.kernel_size),
        "stride": _common.pair_value(m.stride),
        "padding": padding,
        "dilation": _common.pair_value(m.dilation),
        "groups": int(m.groups),
        "bias": m.bias is not None,
        "padding_mode": m.padding_mode,
    }
    arrays = {"W": _array(m.weight)}
    if m.bias is not None:
        arrays["b"] = _array(m.bias)
    return entry, arrays


def _from_linear(name, m):
    entry = {"type": "Linear", "out_features": int(m.out_features), "bias": m.bias is not None}
    arrays = {"W": np.ascontiguousarray(_array(m.weight).T)}
    if m.bias is not None:
        arrays["b"] = _array(m.bias)
    return entry, arrays


def _from_pool(name, m):
    max_pool = type(m).__name__ == "MaxPool2d"
    if max_pool and m.return_indices:
        raise _refuse_module(name, m, "return_indices=True")
    if not max_pool and m.divisor_override is not None:
        raise _refuse_module(name, m, f"divisor_override={m.divisor_override}")
    entry = {
        "type": "MaxPool2d" if max_pool else "AvgPool2d",
        "kernel_size": _common.pair_value(m.kernel_size),
        "stride": _common.pair_value(m.stride if m.stride not in (None, ()) else m.kernel_size),
        "padding": _common.pair_value(m.padding),
        "ceil_mode": bool(m.ceil_mode),
    }
    if max_pool:
        entry["dilation"] = _common.pair_value(m.dilation)
    else:
        entry["count_include_pad"] = bool(m.count_include_pad)
    return entry, {}


def _from_adaptive(name, m):
    if _common.pair_value(m.output_size) != 1:
        raise _refuse_module(
            name, m,
            i18n.Said(
                "errors.refuse_output_size_only", m_output_size=m.output_size
            ),
        )
    return {"type": "GlobalAvgPool2d"}, {}


def _from_batchnorm(name, m):
    if m.momentum is None:
        raise _refuse_module(name, m, i18n.Said("errors.refuse_momentum_none_cumulative"))
    if not m.track_running_stats:
        raise _refuse_module(name, m, "track_running_stats=False")
    entry = {
        "type": "BatchNormalization",
        "momentum": _short(1 - m.momentum),
        "eps": float(m.eps),
        "unbiased_running_var": True,
        "affine": bool(m.affine),
    }
    arrays = {"running_mean": _array(m.running_mean), "running_var": _array(m.running_var)}
    if m.affine:
        arrays.update(gamma=_array(m.weight), beta=_array(m.bias))
    return entry, arrays


def _from_flatten(name, m):
    if (m.start_dim, m.end_dim) != (1, -1):
        raise _refuse_module(name, m, f"start_dim={m.start_dim}, end_dim={m.end_dim}")
    return {"type": "Flatten"}, {}



# ---------------------------------------------------------------------------------------------
# The table


class Rule(NamedTuple):
    """How one layer type travels to PyTorch and back."""

    #: function(name, layer, input shape) giving the modules that compute the layer
    export: Callable
    #: the nn classes read back as this layer type
    modules: tuple[str, ...]
    #: function(name, module) giving (spec entry, the layer's arrays) for one of ``modules``
    read: Callable


def _plain(kind: str, cls: str, *attributes: str) -> Rule:
    """The rule of a layer that is one ``nn.<cls>`` without weights; each of ``attributes`` is
    the layer's attribute, the module's keyword argument and the spec key alike."""

    def export(name, layer, shape):
        return [(name, cls, {a: float(getattr(layer, a)) for a in attributes}, {})]

    def read(name, m):
        return {"type": kind, **{a: getattr(m, a) for a in attributes}}, {}

    return Rule(export, (cls,), read)


def _dropout(name, layer, shape):
    return [(name, "Dropout", {"p": layer.dropout_ratio}, {})]


def _from_dropout(name, m):
    return {"type": "Dropout", "p": float(m.p)}, {}


#: spec type -> Rule: the one table of what maps to PyTorch and back
RULES = {
    "Conv2d": Rule(_conv, ("Conv2d",), _from_conv),
    "Linear": Rule(_linear, ("Linear",), _from_linear),
    "MaxPool2d": Rule(_pool, ("MaxPool2d",), _from_pool),
    "AvgPool2d": Rule(_pool, ("AvgPool2d",), _from_pool),
    "GlobalAvgPool2d": Rule(
        _simple("AdaptiveAvgPool2d", output_size=1), ("AdaptiveAvgPool2d",), _from_adaptive
    ),
    "BatchNormalization": Rule(_batchnorm, ("BatchNorm1d", "BatchNorm2d"), _from_batchnorm),
    "Dropout": Rule(_dropout, ("Dropout",), _from_dropout),
    "ReLU": _plain("ReLU", "ReLU"),
    "LeakyReLU": _plain("LeakyReLU", "LeakyReLU", "negative_slope"),
    "Sigmoid": _plain("Sigmoid", "Sigmoid"),
    "Tanh": _plain("Tanh", "Tanh"),
    "Flatten": Rule(_simple("Flatten"), ("Flatten",), _from_flatten),
}

#: nn class name -> function(name, module) giving (spec entry, the layer's arrays)
_READERS = {cls: rule.read for rule in RULES.values() for cls in rule.modules}
#: the modules :func:`load_torch` may build from a generated model.py
_MODULES = (*_READERS, "Identity")


# ---------------------------------------------------------------------------------------------
# To and from a module


def _modules(model):
    modules = []
    for (name, layer), shape in zip(model.layers.items(), _common.input_shapes(model)):
        kind = _common.spec_type(layer)
        rule = RULES.get(kind)
        if rule is None:
            raise refuse(name, i18n.Said("errors.refuse_layer_type", kind=kind), "PyTorch")
        modules += rule.export(name, layer, shape)
    return modules


def _build(modules, dtype=None):
    torch = _torch()
    nn = torch.nn
    built = OrderedDict()
    for name, cls, kwargs, tensors in modules:
        try:
            module = getattr(nn, cls)(**kwargs)
        except (ValueError, RuntimeError) as error:
            raise i18n.error(
                ValueError, "errors.torch_layer_pytorch_s", name=name, cls=cls, kwargs=kwargs,
                error=error,
            ) from None
        if dtype is not None:  # before the copy, so no weight is rounded to float32 on the way
            module = module.to(dtype)
        with torch.no_grad():
            for key, value in tensors.items():
                getattr(module, key).copy_(torch.from_numpy(np.array(value, copy=True)))
        built[name] = module
    return nn.Sequential(built)


def to_torch(model):
    """An ``nn.Sequential`` that computes ``model``'s scores, with the weights copied (in the
    model's dtype). Modules are named as the model's layers (``Conv1``, ``Relu1``...), so the
    ``state_dict`` keys are ``Conv1.weight``, ``Affine1.bias``...; an ``nn.Flatten`` named
    ``Affine1_flatten`` goes before a Linear that gets (N, C, H, W) input.

    The module starts in eval mode; ``.train()`` gives training behaviour (dropout, batch
    statistics) as ``model.predict(x, train_flg=True)`` has. The model's input shape, classes and
    preprocessing are kept in the module's attribute ``tatamikomi`` for :func:`from_torch`.
    """
    torch = _torch()
    dtype = getattr(torch, np.dtype(model.dtype).name)
    module = _build(_modules(model), dtype).eval()
    module.tatamikomi = _common.metadata(model)
    return module


def from_torch(module, *, input_shape=None, classes=None, preprocess=None, where=None):
    """A tatamikomi :class:`~tatamikomi.models.Sequential` from a ``torch.nn.Sequential`` (or a
    ``DistributedDataParallel`` around one) of the supported modules ({modules}); a Flatten
    right before a Linear is left out (the book's Affine flattens by itself), and
    AdaptiveAvgPool2d is read with output size 1 only (global pooling). Any other module or
    option is refused by name.

    ``input_shape`` (one example, e.g. (1, 28, 28)) is needed unless the module came from
    :func:`to_torch` or :func:`load_torch`, which keep it (with the classes and preprocessing).
    The model is checked as a loaded model file is (finite weights, preprocessing, classes,
    sizes); ``where`` names the source in the message.
    """
    torch = _torch()
    module = getattr(module, "module", module)  # DistributedDataParallel wraps the model
    if not isinstance(module, torch.nn.Sequential):
        raise i18n.error(
            TypeError, "errors.torch_from_torch_takes", module_kind=type(module).__name__,
        )
    info = dict(getattr(module, "tatamikomi", None) or {})
    for key, value in (
        ("input_shape", input_shape),
        ("classes", classes),
        ("preprocess", preprocess),
    ):
        if value is not None:
            info[key] = value
    _common.check_layer_count(len(module), where or type(module).__name__)
    children = [(n, m) for n, m in module.named_children() if type(m).__name__ != "Identity"]
    entries, arrays = [], []
    dtype = None
    for index, (name, child) in enumerate(children):
        kind = type(child).__name__
        importer = _READERS.get(kind)
        if importer is None:
            raise _refuse_module(name, child, i18n.Said("errors.refuse_module"))
        if kind == "Flatten" and index + 1 < len(children):
            if type(children[index + 1][1]).__name__ == "Linear":
                _from_flatten(name, child)
                continue  # the book's Affine flattens by itself
        entry, values = importer(name, child)
        entries.append(entry)
        arrays.append(values)
        for value in values.values():
            dtype = dtype or value.dtype
    return _common.build_sequential(
        entries, arrays, info, dtype or np.float32, where=where or type(module).__name__
    )

if from_torch.__doc__:  # the modules of RULES, written once (absent under python -OO)
    from_torch.__doc__ = from_torch.__doc__.replace("{modules}", ", ".join(_MODULES))


def save_torch(model, path, *, overwrite=False) -> tuple[str, str]:
    """Write ``path`` (``model.pt``: the state_dict of :func:`to_torch`'s module) and the
    generated ``model.py`` beside it; returns both paths. Both targets are checked before
    either is written (a folder or a link in the place of model.py leaves model.pt as it was),
    each is written atomically, and an existing one is only replaced with ``overwrite=True``."""
    torch = _torch()
    import io

    path, source_path = output_paths(path)
    modules = _modules(model)
    module = _build(modules, getattr(torch, np.dtype(model.dtype).name))
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    source = files.source(modules, _common.metadata(model), os.path.basename(path))
    hint = "Give --force to replace it."
    with atomic_writes((path, source_path), overwrite=overwrite, hint=hint) as (weights, code):
        weights.write(buffer.getvalue())
        code.write(source.encode("utf-8"))
    return path, source_path


def load_torch(path, *, module=None):
    """A tatamikomi model from ``model.pt``, with the architecture from the ``model.py`` beside
    it (or from ``module``, an ``nn.Sequential`` of the same layout, e.g. the one you trained).

    The work is bounded before it is done: model.pt's members are inflated once with their real
    size counted (at most :data:`~._torch_files.MAX_INFLATION` times the file), model.py is read
    only up to :data:`~._torch_files.MAX_SOURCE_BYTES` and its modules are built on PyTorch's
    ``meta`` device (no memory) and compared with the weights' names and shapes before the
    weights are put in."""
    torch = _torch()
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise i18n.error(FileNotFoundError, "errors.torch_missing", path=path)
    state = files.read_state(path)
    info = {}
    if module is None:
        source_path = files.companion(path)
        if not os.path.isfile(source_path):
            raise i18n.error(
                FileNotFoundError, "errors.torch_model_py_that", source_path=source_path,
            )
        modules, info = files.read_source(source_path, _MODULES)
        dtype = next((v.dtype for v in state.values() if v.is_floating_point()), None)
        with torch.device("meta"):  # shapes without memory: checked before anything is real
            module = _build(modules, dtype)
        files.check_fit(module, state, path, source_path)
        module.load_state_dict(state, assign=True)  # the loaded tensors become the weights
    else:
        files.check_fit(module, state, path, type(module).__name__)
        module.load_state_dict(state)
    module.tatamikomi = {**(getattr(module, "tatamikomi", None) or {}), **info}
    return from_torch(module, where=path)


__all__ = ["to_torch", "from_torch", "save_torch", "load_torch"]
