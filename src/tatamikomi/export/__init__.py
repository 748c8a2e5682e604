"""Leave the box: tatamikomi models out to ONNX and PyTorch, and back in.

- :func:`to_onnx` / :func:`from_onnx`: an ONNX file (needs ``pip install "tatamikomi[onnx]"``).
- :func:`to_torch` / :func:`from_torch`: a ``torch.nn.Sequential`` with the same weights;
  :func:`save_torch` / :func:`load_torch` write and read ``model.pt`` (the ``state_dict``) with
  ``model.py``, a small generated file that rebuilds the module (needs ``pip install
  "tatamikomi[torch]"``).

The mapping, layer by layer, and the way on to multi-machine training with PyTorch's
DistributedDataParallel are in ``docs/interop.md``. Nothing here is imported by the core:
``import tatamikomi`` works without onnx and torch.
"""

from .onnx import from_onnx, to_onnx
from .torch import from_torch, load_torch, save_torch, to_torch

__all__ = ["to_onnx", "from_onnx", "to_torch", "from_torch", "save_torch", "load_torch"]
