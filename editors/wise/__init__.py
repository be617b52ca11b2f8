"""WISE: a routed side memory of one MLP output projection; one removable ledger module per edit."""

from editors.wise.hparams import WiseHParams
from editors.wise.memory import WiseMemory
from editors.wise.method import WISE

__all__ = ["WISE", "WiseHParams", "WiseMemory"]
