"""The import hook: the book's module names served by this package's stand-ins, during a run.

:class:`StandInFinder` goes first on ``sys.meta_path``, so it wins over the book's own files on
``sys.path`` (which the scripts put there with ``sys.path.append(os.pardir)``), for the names in
:data:`STAND_INS` only. Each name gets a fresh module holding the public names of the stand-in
(the stand-in module itself is never renamed or changed). ``dataset`` and ``common`` are
packages whose other submodules (``common.multi_layer_net``...) still load from the book's
folder when it is found, and import the stand-ins in turn.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys

#: the book's module name -> the stand-in module in tatamikomi.book (None: a package)
STAND_INS = {
    "dataset": None,
    "dataset.mnist": "mnist",
    "common": None,
    "common.layers": "layers",
    "common.functions": "functions",
    "common.util": "util",
    "common.optimizer": "optimizer",
    "common.trainer": "trainer",
    "common.gradient": "gradient",
    "simple_convnet": "simple_convnet",
    "deep_convnet": "deep_convnet",
}
#: top-level names whose modules belong to a run (removed from sys.modules after it)
TOP_LEVEL = frozenset(name.split(".")[0] for name in STAND_INS)


class _StandInLoader(importlib.abc.Loader):
    def __init__(self, target: str | None):
        self.target = target

    def create_module(self, spec):
        return None  # a plain new module

    def exec_module(self, module):
        if self.target is None:
            module.__doc__ = "The book's package, served by tatamikomi.book."
            return
        source = importlib.import_module(f"{__package__}.{self.target}")
        names = list(getattr(source, "__all__", ())) + ["np"]
        module.__dict__.update({n: getattr(source, n) for n in names if hasattr(source, n)})
        module.__doc__ = source.__doc__


class StandInFinder(importlib.abc.MetaPathFinder):
    """Finds the names of :data:`STAND_INS`; ``search_dirs`` are where the book's own packages
    may be (for their other submodules)."""

    def __init__(self, search_dirs=()):
        self.search_dirs = list(search_dirs)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in STAND_INS:
            return None
        target_name = STAND_INS[fullname]
        spec = importlib.util.spec_from_loader(
            fullname, _StandInLoader(target_name), is_package=target_name is None
        )
        if target_name is None:
            spec.submodule_search_locations = self._book_package(fullname)
        return spec

    def _book_package(self, name: str) -> list[str]:
        for directory in [*self.search_dirs, *sys.path]:
            folder = os.path.join(os.path.abspath(directory or "."), name)
            if os.path.isfile(os.path.join(folder, "__init__.py")):
                return [folder]
        return []
