"""``POST /v1/chat/completions``: OpenAI-compatible chat with the local model (see :mod:`api.chat`)."""

from __future__ import annotations

from fastapi import APIRouter

from api.chat import ChatCompletion, ChatCompletionCreate, completion, grounding, render
from api.deps import CurrentUser, KGEditDep, OptionsDep

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post("/chat/completions")
def chat_completions(kge: KGEditDep, user: CurrentUser, options: OptionsDep,
                     body: ChatCompletionCreate) -> ChatCompletion:
    """Answer the conversation; with ``kg_grounding`` the KG's facts about entities the user names are given
    to the model first (they come back in ``kg_context``)."""
    context = (grounding(kge, body.last_user_text(), entities=options.ground_entities, facts=options.ground_facts)
               if body.kg_grounding else None)
    handle = kge.model(body.model)
    prompt = render(handle.tokenizer, body.messages, context)
    [text] = handle.generate([prompt], max_new_tokens=body.limit, chat=False, decoding=body.decoding().strategy())
    count = lambda s: len(handle.tokenizer.encode(s, add_special_tokens=False))  # noqa: E731
    return completion(handle.name, text.strip(), count(prompt), count(text), body.limit, context)
