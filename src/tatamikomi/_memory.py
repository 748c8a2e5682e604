"""The memory budget now lives in :mod:`tatamikomi.config`; this name stays for the models'
import until they import it from there."""

from .config import rows_within_budget

__all__ = ["rows_within_budget"]
