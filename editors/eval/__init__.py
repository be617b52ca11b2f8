"""Editing evaluation (issue #4): metrics shared by every method and mode, dataset readers, the built-in
counterfactual set and a runner for single / batch / sequential edits. See docs/editors_eval.md.

>>> from editors.eval import RunOptions, builtin_counterfacts, run_eval     # doctest: +SKIP
>>> requests = builtin_counterfacts(handle, home=settings.home)             # doctest: +SKIP
>>> run_eval(handle, get_method("rome"), requests[:10], RunOptions())        # doctest: +SKIP
"""

from editors.eval.counterfact import CounterfactOptions, builtin_counterfacts
from editors.eval.datasets import load_requests
from editors.eval.metrics import EvalOptions
from editors.eval.runner import RunOptions, run_eval

__all__ = ["CounterfactOptions", "EvalOptions", "RunOptions", "builtin_counterfacts", "load_requests", "run_eval"]
