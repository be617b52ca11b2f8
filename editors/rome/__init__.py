"""ROME: rank-one model editing of one MLP output projection (``get_method("rome")``)."""

from editors.rome.hparams import RomeHparams
from editors.rome.method import Rome

__all__ = ["Rome", "RomeHparams"]
