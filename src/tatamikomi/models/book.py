"""The book's networks, :class:`SimpleConvNet` and :class:`DeepConvNet`, and the import of the
book's trained weights (its ``params.pkl``, read without running any code).

Each takes the book's constructor arguments; ``engine="lecture"`` builds its convolution and
pooling layers from :mod:`tatamikomi.lecture` (the lecture's im2col code) instead of the fast
engine, with the same weights for the same seed.
"""

from __future__ import annotations

import numpy as np

from .. import io, lecture
from .._checks import DEFAULT_DTYPE
from ..init import initial_weight
from ..layers import Affine, Convolution, Dropout, MaxPooling, Relu
from .sequential import Sequential, fold_book_dropout
from .spec import check_engine
from .. import i18n

#: the book's default input: one MNIST image, 1 channel of 28x28
BOOK_INPUT_DIM = (1, 28, 28)


class _BookNetwork(Sequential):
    """A network the book defines: saved as its class and constructor arguments
    (``self._arguments``), so that loading rebuilds the same class with the book's methods."""

    _arguments: dict

    def architecture(self):
        return {"class": type(self).__name__, "arguments": self._arguments, "spec": self.spec()}

    @staticmethod
    def _engine_layers(engine: str):
        """The Convolution and the 2x2 max-pooling layer classes of an engine."""
        if check_engine(engine) == "lecture":
            return lecture.Convolution, lambda: lecture.Pooling(2, 2, stride=2)
        return Convolution, lambda: MaxPooling(2, 2, stride=2)


class SimpleConvNet(_BookNetwork):
    """The book's simple CNN (ゼロから作るDeep Learning 7.5):
    conv - relu - pool - affine - relu - affine - softmax.

    Shapes for MNIST: (N, 1, 28, 28) -> Conv1 30x1x5x5 -> (N, 30, 24, 24) -> Pool1 2x2 ->
    (N, 30, 12, 12) -> Affine1 4320->100 -> Affine2 100->10. Parameters ``W1, b1`` (convolution),
    ``W2, b2``, ``W3, b3`` (affine), weights normal with std ``weight_init_std`` (a number, or
    ``"he"``/``"xavier"``), biases zero, as in the book. ``seed`` makes the weights reproducible.
    """

    def __init__(
        self,
        input_dim=BOOK_INPUT_DIM,
        conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
        hidden_size=100,
        output_size=10,
        weight_init_std=0.01,
        *,
        seed=None,
        dtype=DEFAULT_DTYPE,
        classes=None,
        engine="fast",
    ):
        self._arguments = {
            "input_dim": list(input_dim),
            "conv_param": dict(conv_param),
            "hidden_size": hidden_size,
            "output_size": output_size,
            "weight_init_std": weight_init_std,
        }
        if engine != "fast":
            self._arguments["engine"] = engine
        conv_class, pooling = self._engine_layers(engine)
        rng = np.random.default_rng(seed)
        C = input_dim[0]
        FN, FS = conv_param["filter_num"], conv_param["filter_size"]
        pad, stride = conv_param.get("pad", 0), conv_param.get("stride", 1)

        def weight(shape, fan_in):
            return initial_weight(shape, fan_in, weight_init_std, rng, dtype)

        conv = conv_class(weight((FN, C, FS, FS), C * FS * FS), np.zeros(FN, dtype), stride, pad)
        pool = pooling()
        pooled = int(np.prod(pool.output_shape(conv.output_shape(tuple(input_dim)))))
        layers = [
            conv,
            Relu(),
            pool,
            Affine(weight((pooled, hidden_size), pooled), np.zeros(hidden_size, dtype)),
            Relu(),
            Affine(weight((hidden_size, output_size), hidden_size), np.zeros(output_size, dtype)),
        ]
        super().__init__(layers, input_shape=input_dim, classes=classes)


class DeepConvNet(_BookNetwork):
    """The book's deep CNN (ゼロから作るDeep Learning 8.1), over 99 % on MNIST:

    conv-relu-conv-relu-pool, conv-relu-conv-relu-pool, conv-relu-conv-relu-pool,
    affine-relu-dropout-affine-dropout-softmax.

    Six 3x3 convolutions with 16, 16, 32, 32, 64, 64 filters (padding 1, except 2 for the fourth),
    2x2 max pooling after each pair, Affine 1024->50 and 50->10, dropout 0.5. He initial weights
    (std ``sqrt(2 / fan_in)``), zero biases. Parameters ``W1..W8``, ``b1..b8``.
    Our dropout is inverted (it scales in training, not at test time); the expected outputs are
    the book's. ``seed`` makes the weights and the dropout masks reproducible.
    """

    def __init__(
        self,
        input_dim=BOOK_INPUT_DIM,
        conv_param_1={"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_2={"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_3={"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_4={"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
        conv_param_5={"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
        conv_param_6={"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
        hidden_size=50,
        output_size=10,
        *,
        dropout_ratio=0.5,
        seed=None,
        dtype=DEFAULT_DTYPE,
        classes=None,
        engine="fast",
    ):
        conv_params = [conv_param_1, conv_param_2, conv_param_3]
        conv_params += [conv_param_4, conv_param_5, conv_param_6]
        self._arguments = {
            "input_dim": list(input_dim),
            **{f"conv_param_{i + 1}": dict(p) for i, p in enumerate(conv_params)},
            "hidden_size": hidden_size,
            "output_size": output_size,
            "dropout_ratio": dropout_ratio,
        }
        if engine != "fast":
            self._arguments["engine"] = engine
        conv_class, pooling = self._engine_layers(engine)
        rng = np.random.default_rng(seed)
        layers = []
        shape = tuple(input_dim)
        for i, param in enumerate(conv_params):
            FN, FS = param["filter_num"], param["filter_size"]
            pad, stride = param.get("pad", 0), param.get("stride", 1)
            fan_in = shape[0] * FS * FS
            W = initial_weight((FN, shape[0], FS, FS), fan_in, "he", rng, dtype)
            new = [conv_class(W, np.zeros(FN, dtype), stride, pad), Relu()]
            if i % 2 == 1:
                new.append(pooling())
            for layer in new:
                shape = layer.output_shape(shape)
            layers += new
        flat = int(np.prod(shape))
        W7 = initial_weight((flat, hidden_size), flat, "he", rng, dtype)
        W8 = initial_weight((hidden_size, output_size), hidden_size, "he", rng, dtype)
        dropout_rngs = rng.spawn(2) if hasattr(rng, "spawn") else [rng, rng]
        layers += [
            Affine(W7, np.zeros(hidden_size, dtype)),
            Relu(),
            Dropout(dropout_ratio, seed=dropout_rngs[0]),
            Affine(W8, np.zeros(output_size, dtype)),
            Dropout(dropout_ratio, seed=dropout_rngs[1]),
        ]
        super().__init__(layers, input_shape=input_dim, classes=classes)


BOOK_MODELS = {"SimpleConvNet": SimpleConvNet, "DeepConvNet": DeepConvNet}


def _book_model_name(path, keys: set) -> str:
    """Which of the book's networks a params.pkl is for, from its arrays' names."""
    if keys == {f"{p}{i}" for p in "Wb" for i in range(1, 4)}:
        return "SimpleConvNet"
    if keys == {f"{p}{i}" for p in "Wb" for i in range(1, 9)}:
        return "DeepConvNet"
    raise i18n.error(
        io.ModelFileError, "errors.book_holds_neither_book", path=path, sorted_keys=sorted(keys),
    )


def import_book_params(path, model_name=None, *, input_dim=None):
    """A :class:`SimpleConvNet` or :class:`DeepConvNet` holding the book's weights from
    ``params.pkl``, with the pickle's dtype, predicting what the book's code predicts.

    The network is recognised from the arrays' names (or named by ``model_name``); its sizes
    (filters, hidden units, classes) are read from the arrays' shapes, and ``input_dim`` is the
    book's (C, 28, 28) unless given (C from the first filters)."""
    params = io.load_book_params(path)
    dtype = params["W1"].dtype if "W1" in params else np.float64
    model_name = model_name or _book_model_name(path, set(params))
    if model_name not in BOOK_MODELS:
        raise i18n.error(
            io.ModelFileError, "errors.book_unknown_book_model", model_name=model_name,
            book_models=' or '.join(BOOK_MODELS),
        )
    try:
        FN, C, FS, _ = params["W1"].shape
        input_dim = tuple(input_dim or (C, *BOOK_INPUT_DIM[1:]))
        if model_name == "SimpleConvNet":
            model = SimpleConvNet(
                input_dim,
                {"filter_num": FN, "filter_size": FS, "pad": 0, "stride": 1},
                params["W2"].shape[1],
                params["W3"].shape[1],
                dtype=dtype,
            )
        else:
            convs = {
                f"conv_param_{i}": {
                    "filter_num": params[f"W{i}"].shape[0],
                    "filter_size": params[f"W{i}"].shape[2],
                    "pad": 2 if i == 4 else 1,
                    "stride": 1,
                }
                for i in range(1, 7)
            }
            model = DeepConvNet(
                input_dim,
                **convs,
                hidden_size=params["W7"].shape[1],
                output_size=params["W8"].shape[1],
                dtype=dtype,
            )
        model.load_state_dict(fold_book_dropout(model, params))
    except (KeyError, ValueError) as error:
        raise i18n.error(
            io.ModelFileError, "errors.book_arrays_do_have", path=path, model_name=model_name,
            input_dim=input_dim, error=error,
        ) from None
    model.preprocess = {"divide_by": 255}
    model.history = {}
    return model.eval()
