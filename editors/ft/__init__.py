"""FT-M: fine-tuning one MLP output projection on the target tokens (``get_method("ft")``)."""

from editors.ft.hparams import FtHparams
from editors.ft.method import FineTune

__all__ = ["FineTune", "FtHparams"]
