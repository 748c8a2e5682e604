"""Optimizers and learning-rate schedules.

Each optimizer has the book's verb, ``update(params, grads)``: ``params`` and ``grads`` are dicts
(or mappings) of arrays with the same keys, and every parameter array is updated in place, so the
layers that hold it see the change. The constructors keep the book's argument names and defaults
(``SGD(lr=0.01)``, ``Momentum(lr=0.01, momentum=0.9)``, ``Adam(lr=0.001, beta1=0.9,
beta2=0.999)``...). The update formulas are PyTorch's (``torch.optim``), and the tests check them
against it; for a constant learning rate they equal the book's.

With g the gradient, p the parameter and t the step number (from 1):

- SGD:       ``p -= lr * g``
- Momentum:  ``v = momentum * v + g;  p -= lr * v``
- Nesterov:  ``v = momentum * v + g;  p -= lr * (g + momentum * v)``
- AdaGrad:   ``h += g**2;  p -= lr * g / (sqrt(h) + eps)``
- RMSprop:   ``h = decay_rate * h + (1 - decay_rate) * g**2;  p -= lr * g / (sqrt(h) + eps)``
- Adam:      ``m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g**2;
  p -= lr * (m / (1-beta1**t)) / (sqrt(v / (1-beta2**t)) + eps)``

``weight_decay`` adds ``weight_decay * p`` to g first (L2 regularisation, as ``torch.optim``);
:class:`AdamW` instead shrinks p by ``lr * weight_decay * p`` before the Adam step (decoupled).

Schedules give the learning rate of each step: ``optimizer.lr = schedule(step)``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _parallel, i18n


#: every this many steps, state values too small to matter are set to zero (see _flush_tiny)
FLUSH_EVERY = 100


def _flush_tiny(array: np.ndarray) -> None:
    """Set values below ``2**20`` times the dtype's smallest normal number to zero.

    A parameter that gets no gradient (a dead ReLU unit) keeps a momentum that decays by beta1
    each step, into the subnormal numbers below ``np.finfo(dtype).tiny`` (1.2e-38 in float32)
    after about 800 steps. Arithmetic on subnormals is up to a hundred times slower on x86 CPUs
    (it made SimpleConvNet's second epoch 25 % slower than its first). Values below the
    threshold here (1e-32 in float32) change no parameter by more than ``lr * 1e-24``, and from
    there they cannot decay into the subnormals within ``FLUSH_EVERY`` steps."""
    threshold = np.finfo(array.dtype).tiny * 2.0**20
    small = np.abs(array) < threshold
    small &= array != 0
    if small.any():
        array[small] = 0


def check_setting(value, name: str, *, low=0.0, high=math.inf, low_open=False, high_open=True):
    """``value`` as a float, or ValueError naming ``name`` (``"lr"``, or ``"--lr"`` at the command
    line) unless it is a finite number in the range (``low_open``/``high_open``: exclusive)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise i18n.error(ValueError, "errors.setting_number", name=name, value=value) from None
    above = number > low if low_open else number >= low
    below = number < high if high_open else number <= high
    if not (math.isfinite(number) and above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise i18n.error(
            ValueError, "errors.setting_range", name=name, interval=interval, value=value
        )
    return number


def check_lr(value, name: str = "lr") -> float:
    """A learning rate: finite and above 0."""
    return check_setting(value, name, low_open=True)


def check_weight_decay(value, name: str = "weight_decay") -> float:
    """A weight decay: finite and 0 or more."""
    return check_setting(value, name)


def check_fraction(value, name: str) -> float:
    """A decay factor (momentum, beta1, beta2, decay_rate): in [0, 1)."""
    return check_setting(value, name, high=1.0)


class Optimizer:
    """Base class: per-parameter state arrays in ``state[name]``, the step count in ``t``."""

    #: names of the per-parameter state arrays, in the order ``state_dict`` stores them
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr = check_lr(lr)
        self.weight_decay = check_weight_decay(weight_decay)
        self.t = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._scratch: dict[int, np.ndarray] = {}  # working memory by id(state) (not saved)

    def update(self, params, grads) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys)."""
        missing = [key for key in params if key not in grads]
        if missing:
            raise i18n.error(KeyError, "errors.optim_grads_gradient_have", missing=missing)
        self.t += 1
        for key in params:
            p, g = params[key], np.asarray(grads[key])
            if g.shape != p.shape:
                raise i18n.error(
                    ValueError, "errors.optim_grads_shape_params", key=key, g_shape=g.shape,
                    p_shape=p.shape,
                )
            g = g.astype(p.dtype, copy=False)
            if self.weight_decay and not self._decoupled:
                g = g + self.weight_decay * p
            state = self.state.get(key)
            if state is None:
                state = self.state[key] = {slot: np.zeros_like(p) for slot in self.slots}
            self._step(p, g, state)
            if self.t % FLUSH_EVERY == 0:
                for array in state.values():
                    _flush_tiny(array)

    _decoupled = False

    def _step(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def config(self) -> dict:
        """The constructor's arguments, JSON-ready (saved with a checkpoint)."""
        return {"name": type(self).__name__, **self._arguments()}

    def _arguments(self) -> dict:
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def state_dict(self) -> dict[str, np.ndarray]:
        """The step count and every state array, flat: ``{"t": ..., "<slot>/<param>": ...}``."""
        out = {"t": np.asarray(self.t, dtype=np.int64)}
        for key, state in self.state.items():
            for slot, array in state.items():
                out[f"{slot}/{key}"] = array
        return out

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` gave (copies the arrays)."""
        self.t = int(arrays["t"])
        self.state = {}
        self._scratch = {}
        for name, array in arrays.items():
            if name == "t":
                continue
            slot, key = name.split("/", 1)
            if slot not in self.slots:
                raise i18n.error(
                    ValueError, "errors.optim_state", kind=type(self).__name__, slot=slot, key=key,
                )
            self.state.setdefault(key, {})[slot] = np.array(array, copy=True)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self._arguments().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``p -= lr * g``."""

    def __init__(self, lr=0.01, *, weight_decay=0.0):
        super().__init__(lr, weight_decay)

    def _step(self, p, g, state):
        p -= self.lr * g


class Momentum(Optimizer):
    """SGD with momentum: ``v = momentum * v + g;  p -= lr * v``."""

    slots = ("v",)
    nesterov = False

    def __init__(self, lr=0.01, momentum=0.9, *, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = check_fraction(momentum, "momentum")

    def _arguments(self):
        return {**super()._arguments(), "momentum": self.momentum}

    def _step(self, p, g, state):
        v = state["v"]
        v *= self.momentum
        v += g
        if self.nesterov:
            p -= self.lr * (g + self.momentum * v)
        else:
            p -= self.lr * v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient: ``v = momentum * v + g;  p -= lr * (g + momentum * v)``."""

    nesterov = True


class AdaGrad(Optimizer):
    """AdaGrad: ``h += g**2;  p -= lr * g / (sqrt(h) + eps)``."""

    slots = ("h",)

    def __init__(self, lr=0.01, *, eps=1e-7, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.eps = check_setting(eps, "eps", low_open=True)

    def _arguments(self):
        return {**super()._arguments(), "eps": self.eps}

    def _step(self, p, g, state):
        h = state["h"]
        h += g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: ``h = decay_rate * h + (1 - decay_rate) * g**2;  p -= lr * g / (sqrt(h) + eps)``."""

    slots = ("h",)

    def __init__(self, lr=0.01, decay_rate=0.99, *, eps=1e-7, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.decay_rate = check_fraction(decay_rate, "decay_rate")
        self.eps = check_setting(eps, "eps", low_open=True)

    def _arguments(self):
        return {**super()._arguments(), "decay_rate": self.decay_rate, "eps": self.eps}

    def _step(self, p, g, state):
        h = state["h"]
        h *= self.decay_rate
        h += (1 - self.decay_rate) * g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; ``weight_decay`` as L2 on the gradient."""

    slots = ("m", "v")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, *, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2 = check_fraction(beta1, "beta1"), check_fraction(beta2, "beta2")
        self.eps = check_setting(eps, "eps", low_open=True)

    def _arguments(self):
        return {
            **super()._arguments(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
        }

    def _step(self, p, g, state):
        m, v = state["m"], state["v"]
        step_size = self.lr / (1 - self.beta1**self.t)
        correction2 = math.sqrt(1 - self.beta2**self.t)
        # In place, with one scratch array per parameter and the work split over threads for
        # large arrays: a fresh temporary per operation costs as much as the arithmetic.
        scratch = self._scratch.get(id(state))
        if scratch is None or scratch.shape != p.shape or scratch.dtype != p.dtype:
            scratch = self._scratch[id(state)] = np.empty_like(p)
        arrays = (p, g, m, v, scratch)
        contiguous = all(a.flags.c_contiguous for a in arrays)  # else reshape would copy
        flat = [a.reshape(-1) for a in arrays] if contiguous else arrays

        def work(part) -> None:
            p, g, m, v, tmp = (a[part] for a in flat)
            np.subtract(g, m, out=tmp)  # m += (1 - beta1) * (g - m)
            tmp *= 1 - self.beta1
            m += tmp
            np.multiply(g, g, out=tmp)  # v = beta2 * v + (1 - beta2) * g**2
            tmp *= 1 - self.beta2
            v *= self.beta2
            v += tmp
            if self._decoupled:
                p *= 1 - self.lr * self.weight_decay
            # p -= step_size * m / (sqrt(v) / correction2 + eps), one pass shorter as
            # p -= (step_size * correction2) * m / (sqrt(v) + eps * correction2)
            np.sqrt(v, out=tmp)
            tmp += self.eps * correction2
            np.divide(m, tmp, out=tmp)
            tmp *= step_size * correction2
            p -= tmp

        if contiguous:
            _parallel.over_batch(work, p.size, p.size)
        else:
            work(Ellipsis)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``."""

    _decoupled = True

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, *, eps=1e-8, weight_decay=0.01):
        super().__init__(lr, beta1, beta2, eps=eps, weight_decay=weight_decay)


OPTIMIZERS = {
    cls.__name__.lower(): cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW)
}


def get_optimizer(name: str, **arguments) -> Optimizer:
    """An optimizer by name, any case (``"adam"``, ``"SGD"``...), as the book's Trainer takes."""
    if isinstance(name, Optimizer):
        return name
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise i18n.error(
            ValueError, "errors.optim_unknown_optimizer_choose", name=name,
            optimizers=', '.join(OPTIMIZERS),
        )
    try:
        return cls(**arguments)
    except TypeError as error:
        raise i18n.error(
            TypeError, "errors.optim_error", cls_name=cls.__name__, error=error,
        ) from None


# ---------------------------------------------------------------------------------------------
# Learning-rate schedules: a factor of the base learning rate for each step (from 0).


class Schedule:
    """``schedule(step)`` is the learning rate of step ``step`` (0-based): ``base_lr * factor``."""

    def __init__(self, base_lr: float):
        self.base_lr = float(base_lr)

    def __call__(self, step: int) -> float:
        return self.base_lr * self.factor(step)

    def factor(self, step: int) -> float:
        return 1.0

    def config(self) -> dict:
        return {"name": "constant"}


class ConstantSchedule(Schedule):
    """The same learning rate at every step."""


class StepSchedule(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps."""

    def __init__(self, base_lr, step_size: int, gamma: float = 0.1):
        super().__init__(base_lr)
        if step_size < 1:
            raise i18n.error(ValueError, "errors.optim_step_size_least", step_size=step_size)
        self.step_size, self.gamma = int(step_size), float(gamma)

    def factor(self, step):
        return self.gamma ** (step // self.step_size)

    def config(self):
        return {"name": "step", "step_size": self.step_size, "gamma": self.gamma}


class CosineSchedule(Schedule):
    """Linear warm-up over ``warmup_steps``, then a half cosine from ``base_lr`` down to
    ``base_lr * final_factor`` at ``total_steps``."""

    def __init__(self, base_lr, total_steps: int, warmup_steps: int = 0, final_factor=0.0):
        super().__init__(base_lr)
        if total_steps < 1 or not 0 <= warmup_steps < total_steps:
            raise i18n.error(
                ValueError, "errors.optim_need_total_steps", total_steps=total_steps,
                warmup_steps=warmup_steps,
            )
        self.total_steps, self.warmup_steps = int(total_steps), int(warmup_steps)
        self.final_factor = float(final_factor)

    def factor(self, step):
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        span = self.total_steps - self.warmup_steps
        progress = min(max(step - self.warmup_steps, 0) / span, 1.0)
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return self.final_factor + (1 - self.final_factor) * cosine

    def config(self):
        return {
            "name": "cosine",
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "final_factor": self.final_factor,
        }


SCHEDULES = {"constant": ConstantSchedule, "step": StepSchedule, "cosine": CosineSchedule}


def get_schedule(config, base_lr: float, total_steps: int | None = None) -> Schedule:
    """A schedule from its name or its ``config()`` dict. ``total_steps`` (the length of the
    run) is what a cosine without its own ``total_steps`` ends at."""
    if isinstance(config, Schedule):
        return config
    config = {"name": config} if isinstance(config, str) else dict(config or {"name": "constant"})
    name = config.pop("name", "constant")
    if name == "cosine" and total_steps is not None:
        config.setdefault("total_steps", total_steps)
    cls = SCHEDULES.get(name)
    if cls is None:
        raise i18n.error(
            ValueError, "errors.optim_unknown_schedule_choose", name=name,
            schedules=', '.join(SCHEDULES),
        )
    return cls(base_lr, **config)
