"""AlphaEdit: null-space-projected MEMIT that protects preserved knowledge (``get_method("alphaedit")``)."""

from editors.alphaedit.hparams import AlphaEditHparams
from editors.alphaedit.method import AlphaEdit

__all__ = ["AlphaEdit", "AlphaEditHparams"]
