"""Keep transformers and huggingface_hub off the network, and type what they raise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from huggingface_hub import errors as hub_errors

from kg.errors import HubAccessBlocked, KGEditError, ModelLoadError

_HUB_ERRORS = (hub_errors.OfflineModeIsEnabled, hub_errors.LocalEntryNotFoundError, hub_errors.HFValidationError)


@contextmanager
def offline_hub(what: str) -> Iterator[None]:
    """Force offline mode for transformers/huggingface_hub and turn hub and loader errors into typed ones.

    Raises:
        HubAccessBlocked: the block tried to resolve something on a model hub.
        ModelLoadError: any other loader failure (OSError, ValueError from transformers).
    """
    # huggingface_hub reads these at import; callers also pass local_files_only=True, which always holds.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        yield
    except KGEditError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        if _reached_for_hub(e):
            raise HubAccessBlocked(f"{what}: tried to reach a model hub (kgedit loads local files only): {e}") from e
        raise ModelLoadError(f"{what}: {type(e).__name__}: {e}") from e


def _reached_for_hub(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) says a hub download was attempted. transformers re-raises
    huggingface_hub's errors as a plain OSError ("We couldn't connect to 'https://huggingface.co' ...")."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, _HUB_ERRORS) or "couldn't connect to" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
