"""GRACE: a discrete key/value codebook in front of one layer; one removable ledger module per edit."""

from editors.grace.codebook import GraceCodebook
from editors.grace.hparams import GraceHParams
from editors.grace.method import GRACE

__all__ = ["GRACE", "GraceCodebook", "GraceHParams"]
