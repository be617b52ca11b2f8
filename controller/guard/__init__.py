"""The content part of the toxic-knowledge guard: a curated lexicon plus an embedding classifier.

>>> from controller.guard import ContentGuard
>>> ContentGuard().check("The capital of France is Rome").action       # doctest: +SKIP
<GuardAction.ALLOW: 'allow'>
"""

from .config import GuardConfig
from .guard import ContentGuard
from .verdict import GuardAction, GuardHit, Verdict

__all__ = ["ContentGuard", "GuardAction", "GuardConfig", "GuardHit", "Verdict"]
