"""Request checks shared by the methods, run before any tensor moves."""

from __future__ import annotations

from collections.abc import Sequence

from editors._common.tokens import item_for, prompt_ids_and_subject, target_ids, tokenizer_lock
from editors.base import check_requests
from editors.requests import EditRequest
from kg.errors import InvalidInput
from models import ModelHandle

#: Tokens kept free for a context-template prefix in front of the prompt.
TEMPLATE_MARGIN = 32


def validate(handle: ModelHandle, requests: Sequence[EditRequest], *, method: str, batchable: bool,
             margin: int = TEMPLATE_MARGIN) -> None:
    """Every request fits the context (with ``margin`` spare), has a target with tokens and a subject that a
    token of the prompt covers; a method that is not batchable gets exactly one.

    Raises:
        InvalidInput: naming the first bad request.
    """
    if not isinstance(requests, Sequence) or isinstance(requests, (str, bytes)):
        raise InvalidInput(f"{method}: requests must be a sequence of EditRequest")
    if not batchable and len(requests) > 1:
        raise InvalidInput(f"{method} edits one request at a time (got {len(requests)}); use a batchable method")
    for i, request in enumerate(requests):
        if not isinstance(request, EditRequest):
            raise InvalidInput(f"{method}: request {i} is a {type(request).__name__}, not an EditRequest")
    limit = getattr(handle.model.config, "max_position_embeddings", 2048)
    check_requests(handle, requests, max_context=max(1, limit - margin))
    with tokenizer_lock(handle):
        for i, request in enumerate(requests):
            if not request.target_new.strip():
                raise InvalidInput(f"{method}: request {i} has an empty target")
            try:
                target_ids(handle.tokenizer, request.target_new)
                prompt_ids_and_subject(handle.tokenizer, item_for(request.prompt, request.subject))
            except InvalidInput as e:
                raise InvalidInput(f"{method}: request {i}: {e}") from e
