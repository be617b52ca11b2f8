"""Named crash points for testing recovery: ``KGEDIT_CRASH_AT=<point>`` kills the process there (SIGKILL).

Read from the environment on each call so a test can set it for a child process only; a no-op otherwise.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_intent", "after_conflict_revert", "after_model_apply", "after_verify", "after_kg_commit",
          "after_rollback_model")


def crash_point(name: str) -> None:
    if os.environ.get("KGEDIT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
