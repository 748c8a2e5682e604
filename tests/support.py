"""What several test files share, under public names: the paths, the command line run as a user
runs it, and the check for English left in a Japanese text. ``conftest.py`` turns the ones that
need setting up and tearing down into fixtures; test files import the rest from here, never
from each other."""

import functools
import os
import re
import subprocess
import sys
from pathlib import Path


#: the checkout, its ``src`` folder (what a child Python puts on its path), and the data folder
#: shared between checkouts (``../shared/data``: MNIST, the book's files)
ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
SHARED_DATA = ROOT.parent / "shared" / "data"


def child_env(*, base=None, **extra) -> dict:
    """The environment for a child Python that imports this checkout's tatamikomi: ``base``
    (``os.environ`` by default) with ``src`` put first on ``PYTHONPATH``, then ``extra``."""
    base = os.environ if base is None else base
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), base.get("PYTHONPATH")]))
    env.update({key: str(value) for key, value in extra.items()})
    return env


def offline_env(cwd, **extra) -> dict:
    """``child_env`` for a command that must not reach the network nor find data the machine
    happens to have: offline, no ``$TATAMIKOMI_DATA``, a cache inside ``cwd``."""
    return child_env(
        TATAMIKOMI_OFFLINE="1", TATAMIKOMI_DATA="", XDG_CACHE_HOME=Path(cwd) / "cache", **extra
    )


def run_cli(*args, cwd=None, env=None, timeout=120, module="tatamikomi"):
    """``python -m tatamikomi ARGS`` as a user runs it; the completed process (text output).
    ``env`` defaults to ``offline_env(cwd)`` with a ``cwd``, else ``child_env()``."""
    if env is None:
        env = offline_env(cwd) if cwd is not None else child_env()
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
    )


# ---------------------------------------------------------------------------------------------
# English left in Japanese

#: the names a Japanese text may keep (issue 14), beside symbols and numbers
LECTURE_NAMES = frozenset({"im2col", "col2im", "ReLU", "Affine", "Conv", "Pool", "MNIST", "CNN"})
#: symbols: H, W, OH, FN, P1 (one or two capitals, a digit), i, j, n, b (one lowercase letter),
#: and the code the formulas quote (max(...), -inf, col.shape, W.reshape(FN, 75).T, the
#: backward pass's dout, dx and dW)
SYMBOL = re.compile(r"[A-Z]{1,2}\d?|[a-z]|max|inf|col|shape|reshape|dout|dx|dW")


def english_words(text: str, names=()) -> list[str]:
    """The ASCII words of ``text`` that are neither symbols, numbers, the lecture's names
    (``LECTURE_NAMES``) nor one of ``names``: what a Japanese text should not contain."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(r"(?<=[\d)])x(?=[\d(])", " ", text)  # 4x4, 2x(-1): a product or a size
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return [w for w in words if w not in LECTURE_NAMES and not SYMBOL.fullmatch(w)]


# ---------------------------------------------------------------------------------------------
# Prose: what it says, not how it is wrapped


#: Japanese (kana, kanji, full-width punctuation): a line break between two of these is no space
_WIDE = "[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]"


def unwrapped(text: str) -> str:
    """``text`` as read, not as wrapped: every run of white space (line breaks included) one
    space, and none at all between two Japanese characters (Japanese wraps without spaces), so a
    test can look for a phrase however the text is wrapped or aligned."""
    return re.sub(f"(?<={_WIDE}) (?={_WIDE})", "", " ".join(text.split()))


# ---------------------------------------------------------------------------------------------
# English left in a command's Japanese output

#: names a Japanese command-line text may keep (issue 16): the library's, the models', formats,
#: tools; ``cli_names()`` adds the layer types and the IDX file names
CLI_NAMES = (
    "SimpleConvNet", "DeepConvNet", "Convolution", "MaxPooling", "Relu", "Adam", "SGD", "PNG",
    "JPEG", "ONNX", "PyTorch", "tatamikomi", "mnist-mini", "fashion-mnist", "mnist", "NumPy",
    "Python", "Pillow", "WebP", "pickle", "Ctrl-C", "cosine", "constant", "mkdir", "px",
    "Affine", "Conv", "Pool", "MNIST", "ReLU", "im2col",
    "Deep Learning", "Softmax", "opset", "state_dict", "pip install", "install", "matplotlib",
    "reportlab",
    "simple_convnet", "deep_convnet", "en", "ja",
    # the commands' own names
    "import-book", "train", "evaluate", "predict", "summary", "demo", "explain", "plot",
    "export", "import", "serve", "book", "python", "exercises", "worksheet",
    # the kinds of explain and plot
    "conv", "pool", "im2col", "shape", "flatten", "shift", "filters", "feature-maps", "curves",
    "confusion", "errors", "channels", "slide", "backward", "top-images",
    "why-cnn", "for文",  # explain why-cnn, and the lecture's for loop (for文)
    "why", "SmoothGrad", "Grad-CAM", "Grad",  # explain/plot why and its methods ("CAM": a metavar)
    # positional arguments as the usage line names them
    "model", "models", "params", "images", "source", "script", "args",
    # values and array names a message quotes
    "NaN", "nan", "x_train", "t_train", "x_test", "t_test", "y_train", "y_test", "classes",
    "basic", "standard", "advanced",  # the values of `exercises --level`
    "gradient", "smoothgrad", "grad-cam", "occlusion",  # the methods of `explain why`
)


@functools.cache
def cli_names() -> tuple:
    """``CLI_NAMES``, the layer types a spec names, the files of an IDX dataset and each
    language's own name (``--lang``'s choices: "en (English)"), imported here, not when conftest
    loads this module, so collecting the tests imports no tatamikomi."""
    from tatamikomi import i18n
    from tatamikomi.data.datasets import FILES
    from tatamikomi.layers import LAYER_TYPES

    return (*CLI_NAMES, *LAYER_TYPES, *FILES.values(), *i18n.languages().values())
#: what is not prose: options, paths and file names, metavars and environment variables
#: (capitals), {choices}, quoted values, the optimizer's own repr (lr=0.003, beta1=0.9)
NOT_PROSE = re.compile(  # ASCII classes: Japanese runs on without spaces
    r"(?<![\w-])--?[\w-]+|[\w./$*~+:-]*[/.$][\w./$*~+:-]*|\b[A-Z][A-Z0-9_]+\b|\{[^}]*\}"
    r"|'[^']*'|\"[^\"]*\"|`[^`]*`|\w+=[\w.+-]+",
    re.ASCII,
)


def japanese_words_left(text):
    """The English words of a command's Japanese output ``text``, outside options, paths, file
    names, quoted values and the names it may keep (``cli_names()``): ``[]`` when nothing English
    is left."""
    return english_words(NOT_PROSE.sub(" ", text), cli_names())


def until(predicate, seconds=60.0, step=0.05) -> bool:
    """True as soon as ``predicate()`` is, polled every ``step`` seconds; False after
    ``seconds`` (a server's or a training's state, reached in its own time)."""
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def small(data, n, test=50):
    """``data`` (a Dataset) cut to its first ``n`` training and ``test`` test images: a training
    run that ends in seconds."""
    import dataclasses

    return dataclasses.replace(
        data, x_train=data.x_train[:n], t_train=data.t_train[:n],
        x_test=data.x_test[:test], t_test=data.t_test[:test],
    )


#: axe-core, vendored for the tests only (tests/vendor/axe-core, with its licence)
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def violations(page, impacts=("serious", "critical")):
    """axe-core's findings of these ``impacts`` on the page as it is now: [rule, [where]]."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (impacts) => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter((v) => impacts.includes(v.impact))
            .map((v) => [v.id, v.nodes.slice(0, 3).map((n) => n.target.join(' '))])""",
        list(impacts),
    )


def serious_violations(page):
    """axe-core's serious and critical findings on the page as it is now."""
    return violations(page)
