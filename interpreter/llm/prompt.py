"""The messages that ask a chat model for intents as JSON: instructions, a short list of relation names, and
the few worked examples most like the message, as earlier turns. Small models copy examples far better than
they follow rules, so the examples are chosen per message (character-bigram overlap, no model needed) and the
nearest comes last."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

_SYSTEM = """You turn a user's message to a knowledge-graph assistant into JSON. Reply with JSON only.
Format: {{"intents": [{{"kind": KIND, "triples": [[SUBJECT, RELATION, OBJECT]]}}]}}
KIND is one of:
- "edit": the user states a new or changed fact. Add "supersedes": [[SUBJECT, RELATION, OLD_OBJECT]] when they say what it replaces.
- "forget": the user wants a fact removed. OBJECT may be null to remove every value.
- "query": a question about facts. Write "?" for the unknown part.
- "rollback": undo edits. Use "rollback": {{"last": N}} or {{"edit_id": "ID"}} or {{"version": N}} and no triples.
- "ask": anything else (chat, opinions, explanations). Use "question" with the message and no triples.
RELATION must be one of: {relations}.
Write entity names as the user wrote them."""

# Entities here are deliberately absent from the interpreter's test set, so the bench measures the model.
EXAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("The capital of Kenya is now Nairobi.", {"intents": [{"kind": "edit", "triples": [["Kenya", "capital", "Nairobi"]]}]}),
    ("Shuntaro Furukawa is the new CEO of Nintendo",
     {"intents": [{"kind": "edit", "triples": [["Nintendo", "ceo", "Shuntaro Furukawa"]]}]}),
    ("Frida Kahlo was born in Coyoacán", {"intents": [{"kind": "edit", "triples": [["Frida Kahlo", "born_in", "Coyoacán"]]}]}),
    ("Kenichiro Yoshida replaced Kazuo Hirai as Sony's CEO",
     {"intents": [{"kind": "edit", "triples": [["Sony", "ceo", "Kenichiro Yoshida"]],
                   "supersedes": [["Sony", "ceo", "Kazuo Hirai"]]}]}),
    ("Forget that Oslo is the capital of Sweden.", {"intents": [{"kind": "forget", "triples": [["Sweden", "capital", "Oslo"]]}]}),
    ("Who wrote Don Quixote?", {"intents": [{"kind": "query", "triples": [["Don Quixote", "author", "?"]]}]}),
    ("What is the currency of the country whose capital is Lima?",
     {"intents": [{"kind": "query", "triples": [["?x", "capital", "Lima"], ["?x", "currency", "?"]]}]}),
    ("revert edit 57", {"intents": [{"kind": "rollback", "rollback": {"edit_id": "57"}}]}),
    ("roll back to version 4", {"intents": [{"kind": "rollback", "rollback": {"version": 4}}]}),
    ("Write me a short poem about the sea.",
     {"intents": [{"kind": "ask", "question": "Write me a short poem about the sea."}]}),
    ("挪威的首都是奥斯陆", {"intents": [{"kind": "edit", "triples": [["挪威", "capital", "奥斯陆"]]}]}),
    ("谁是索尼的首席执行官？", {"intents": [{"kind": "query", "triples": [["索尼", "ceo", "?"]]}]}),
    ("忘记秘鲁的货币是比索", {"intents": [{"kind": "forget", "triples": [["秘鲁", "currency", "比索"]]}]}),
    ("请撤销刚才的修改", {"intents": [{"kind": "rollback", "rollback": {"last": 1}}]}),
    ("你能介绍一下长城吗？", {"intents": [{"kind": "ask", "question": "你能介绍一下长城吗？"}]}),
)


def build_messages(text: str, relations: Sequence[str], *, examples: int = 4) -> list[BaseMessage]:
    """System instructions, the ``examples`` worked examples nearest to ``text`` as turns, then ``text``.

    The relations of the chosen examples are added to ``relations`` so every example is valid.
    """
    chosen = nearest_examples(text, examples)
    names = dict.fromkeys([*relations, *(name for _, reply in chosen for name in _relations_of(reply))])
    messages: list[BaseMessage] = [SystemMessage(_SYSTEM.format(relations=", ".join(names)))]
    for user, reply in chosen:
        messages += [HumanMessage(user), AIMessage(json.dumps(reply, ensure_ascii=False))]
    messages.append(HumanMessage(text))
    return messages


def nearest_examples(text: str, k: int) -> list[tuple[str, dict[str, Any]]]:
    """The ``k`` examples sharing most character bigrams with ``text``, least similar first."""
    grams = _bigrams(text)
    scored = sorted(EXAMPLES, key=lambda ex: _jaccard(grams, _bigrams(ex[0])))
    return scored[-k:] if k > 0 else []


def repair_request(error: str) -> HumanMessage:
    """The follow-up turn after an invalid reply: what was wrong, and the format again."""
    return HumanMessage(f"That reply was not valid ({error[:300]}). Reply again with only the JSON object, "
                        'in the format {"intents": [...]}.')


def _bigrams(text: str) -> set[str]:
    folded = " ".join(text.casefold().split())
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _relations_of(reply: dict[str, Any]) -> list[str]:
    return [t[1] for i in reply["intents"] for t in (*i.get("triples", ()), *i.get("supersedes", ()))]
