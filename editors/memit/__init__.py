"""MEMIT: batched multi-layer editing of MLP output projections (``get_method("memit")``)."""

from editors.memit.hparams import MemitHparams
from editors.memit.method import Memit

__all__ = ["Memit", "MemitHparams"]
