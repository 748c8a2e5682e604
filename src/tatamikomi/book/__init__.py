"""Run the book's scripts unchanged: ``tatamikomi book ch07/train_convnet.py``.

The scripts of ゼロから作るDeep Learning import ``dataset.mnist``, ``common.layers``,
``common.functions``, ``common.util``, ``common.optimizer``, ``common.trainer``,
``common.gradient``, ``simple_convnet`` and ``deep_convnet``. :func:`run_script` runs a script
with an import hook (:mod:`.finder`) that serves those names from the stand-in modules of this
package (the book's names and defaults, tatamikomi's fast engine underneath), for that run only:
the hook is installed before the script runs and removed after, with ``sys.argv``, ``sys.path``
and ``sys.modules`` as they were.

- :mod:`.mnist` stands in for ``dataset.mnist`` (MNIST found through :mod:`tatamikomi.data`, or
  the bundled mnist-mini offline, with a note);
- :mod:`.layers`, :mod:`.functions`, :mod:`.util`, :mod:`.optimizer`, :mod:`.trainer`,
  :mod:`.gradient` for ``common.*``; :mod:`.simple_convnet`, :mod:`.deep_convnet` for the
  chapters' networks;
- :mod:`.params`: the book's ``.pkl`` read (safely) and written in its own format.
"""

from .runner import BookError, add_arguments, run_from_arguments, run_script

__all__ = ["run_script", "run_from_arguments", "add_arguments", "BookError"]
