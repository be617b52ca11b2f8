"""Make ``python bench/<name>.py`` import the project, not itself.

Running a script puts its folder first on ``sys.path``, where ``bench/kg.py`` would shadow the ``kg`` package
(and ``bench/models.py`` the ``models`` package). Every bench script imports this module first.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
