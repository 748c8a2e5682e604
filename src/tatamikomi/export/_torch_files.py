"""The files of :func:`~tatamikomi.export.save_torch` and :func:`~tatamikomi.export.load_torch`:
``model.pt`` (the state_dict) and ``model.py`` (rebuilds the module), written and read back with
every size bounded before it costs: model.py is parsed for literals (never run), model.pt's
members are inflated once with their real size counted."""

from __future__ import annotations

import ast
import os

from .. import i18n
from . import _common

#: the largest model.py read: tatamikomi writes under 200 bytes a module
MAX_SOURCE_BYTES = 512 * 1024
#: torch.save stores tensors uncompressed; a model.pt may inflate to at most this many times
#: its size (and always to FREE_INFLATED_BYTES), counted while its members are read
MAX_INFLATION = 50
FREE_INFLATED_BYTES = 16 << 20


def _torch():
    return _common.require("torch", "torch")


def companion(path) -> str:
    return os.path.splitext(os.fspath(path))[0] + ".py"


def source(modules, info, pt_name) -> str:
    lines = [
        f'"""{info["name"]}, exported by tatamikomi: build() makes the PyTorch module, load() also',
        f'loads its weights from {pt_name} (its state_dict, saved by torch.save)."""',
        "",
        "import os",
        "from collections import OrderedDict",
        "",
        "import torch",
        "from torch import nn",
        "",
        f"INPUT_SHAPE = {tuple(info['input_shape'])!r}  # one example, (C, H, W)",
        f"CLASSES = {info['classes']!r}",
        f"PREPROCESS = {info['preprocess']!r}  # how raw pixels become the input",
        "",
        "",
        "def build():",
        "    return nn.Sequential(",
        "        OrderedDict(",
        "            [",
    ]
    for name, cls, kwargs, _ in modules:
        arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        lines.append(f"                ({name!r}, nn.{cls}({arguments})),")
    lines += [
        "            ]",
        "        )",
        "    )",
        "",
        "",
        f"def load(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), {pt_name!r})):",
        "    module = build()",
        "    module.load_state_dict(torch.load(path, weights_only=True))",
        "    return module.eval()",
        "",
    ]
    return "\n".join(lines)


def output_paths(path) -> tuple[str, str]:
    """The files :func:`save_torch` writes for ``path``: ``model.pt`` and ``model.py``."""
    return os.fspath(path), companion(path)


def read_source(source_path, allowed):
    """The module list and the metadata of a generated model.py, read as literals: the file is
    parsed, never run; an nn class not in ``allowed`` is refused. Its size and its number of
    modules are bounded before they cost."""
    size = os.path.getsize(source_path)
    if size > MAX_SOURCE_BYTES:
        raise i18n.error(
            ValueError,
            "errors.torch_source_size",
            path=source_path,
            size=size,
            limit=MAX_SOURCE_BYTES,
        )
    with open(source_path, encoding="utf-8") as f:
        try:
            tree = ast.parse(f.read(), source_path)
        except (SyntaxError, ValueError) as error:
            raise i18n.error(ValueError, "errors.torch_source_syntax", path=source_path,
                             error=str(error).splitlines()[0]) from None  # fmt: skip
    info, modules = {}, []
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            key = statement.targets[0].id.lower()
            if key in ("input_shape", "classes", "preprocess"):
                info[key] = _literal(statement.value, source_path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            name, call = node.elts
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
                cls = call.func.attr
                if cls not in allowed or call.args:
                    raise i18n.error(
                        ValueError, "errors.torch_files_nn_module_tatamikomi",
                        source_path=source_path, cls=cls,
                    )  # fmt: skip
                _common.check_layer_count(len(modules) + 1, source_path)
                kwargs = {k.arg: _literal(k.value, source_path) for k in call.keywords}
                modules.append((_literal(name, source_path), cls, kwargs, {}))
    if not modules:
        raise i18n.error(ValueError, "errors.torch_files_does_look_like", source_path=source_path)
    return modules, info


def _literal(node, source_path):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise i18n.error(ValueError, "errors.torch_source_literal", path=source_path,
                         line=getattr(node, "lineno", "?")) from None  # fmt: skip


def read_state(path):
    """The state_dict in the file ``path``, read by ``torch.load(weights_only=True)`` after
    every member of its zip has been inflated once, counting the bytes it really gives (not
    the sizes it declares), so that a recompressed bomb stops at the limit; and the tensors'
    declared sizes must fit the bytes the file holds."""
    import zipfile

    torch = _torch()
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        limit = max(FREE_INFLATED_BYTES, MAX_INFLATION * size)
        held = None
        try:
            with zipfile.ZipFile(file) as archive:
                held = 0
                for info in archive.infolist():
                    if held + info.file_size > limit:  # the declared size, before reading
                        held += info.file_size
                        break
                    with archive.open(info) as member:
                        while held <= limit:
                            chunk = member.read(1 << 20)
                            if not chunk:
                                break
                            held += len(chunk)
                    if held > limit:
                        break
        except zipfile.BadZipFile as error:
            if held is not None:  # a zip whose member is damaged (a CRC error...)
                raise i18n.error(
                    ValueError, "errors.torch_not_state", path=path, error=error
                ) from None
        except (OSError, RuntimeError, EOFError, NotImplementedError) as error:
            raise i18n.error(ValueError, "errors.torch_not_state", path=path,
                             error=str(error).splitlines()[0]) from None  # fmt: skip
        if held is not None and held > limit:
            raise i18n.error(ValueError, "errors.torch_inflated", path=path, size=size, limit=limit)
        file.seek(0)
        try:
            state = torch.load(file, weights_only=True, map_location="cpu")
        except Exception as error:  # an unpickling error, or not a torch file
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise i18n.error(ValueError, "errors.torch_not_state", path=path, error=first) from None
    if (
        not isinstance(state, dict)
        or not state
        or not all(isinstance(v, torch.Tensor) for v in state.values())
    ):
        raise i18n.error(ValueError, "errors.torch_files_pytorch_state_dict", path=path)
    declared = sum(int(v.numel()) * v.element_size() for v in state.values())
    if declared > (held if held is not None else size):
        raise i18n.error(
            ValueError,
            "errors.torch_declared",
            path=path,
            declared=declared,
            held=held if held is not None else size,
        )
    return state


def check_fit(module, state, path, source):
    """Refuse, in one line and before any tensor is copied, weights that do not fit the
    module: a missing or extra name, or another shape."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        key = "errors.torch_missing_keys" if missing else "errors.torch_extra_keys"
        names = ", ".join((missing or extra)[:3]) + (", ..." if len(missing or extra) > 3 else "")
        raise i18n.error(ValueError, key, path=path, source=source, names=names)
    for key, value in expected.items():
        if tuple(value.shape) != tuple(state[key].shape):
            raise i18n.error(
                ValueError,
                "errors.torch_shape",
                path=path,
                source=source,
                name=key,
                declared=tuple(value.shape),
                held=tuple(state[key].shape),
            )
