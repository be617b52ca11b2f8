"""The LLM path's mechanics with langchain-core's fake chat models: parsing, repair, retry, typed failure,
and the local-callable adapter. (Accuracy with a real model is the bench's job.)"""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from interpreter import Interpreter, IntentKind, InterpreterSettings
from interpreter.errors import LLMOutputError, LLMUnavailable
from interpreter.llm.local import LocalChatModel
from interpreter.llm.reply import extract_json, parse_reply
from kg.errors import KGEditError

EDIT = json.dumps({"intents": [{"kind": "edit", "triples": [["France", "capital", "Lyon"]]}]})


def with_replies(schema, index, replies: list[str], **settings) -> tuple[Interpreter, FakeListChatModel]:
    model = FakeListChatModel(responses=replies)
    return Interpreter(schema, entity_index=index, llm=model, embedder=None,
                       settings=InterpreterSettings(**settings)), model


class TestReplies:
    """Valid replies become the same intents the rules produce."""

    def test_edit(self, schema, index) -> None:
        interp, _ = with_replies(schema, index, [EDIT])
        (intent,) = interp.interpret("Lyon, that's where France's government now sits", mode="llm").intents
        assert intent.kind is IntentKind.EDIT and intent.source == "llm"
        assert [t.key for t in intent.triples] == [("france", "capital", "lyon")]
        assert intent.triples[0].subject.linked and 0 < intent.confidence < 1

    def test_query_with_unknown_and_two_hops(self, schema, index) -> None:
        reply = {"intents": [{"kind": "query", "triples": [["?x", "capital", "Paris"], ["?x", "currency", "?"]]}]}
        interp, _ = with_replies(schema, index, [json.dumps(reply)])
        (intent,) = interp.interpret("money used where Paris is the seat of power?", mode="llm").intents
        assert [t.key for t in intent.triples] == [("?x", "capital", "paris"), ("?x", "currency", "?a")]
        assert intent.query.template == "chain" and intent.query.answer == "a"

    def test_rollback_and_ask(self, schema, index) -> None:
        reply = {"intents": [{"kind": "rollback", "rollback": {"version": 3}}, {"kind": "ask", "question": "hi"}]}
        interp, _ = with_replies(schema, index, [json.dumps(reply)])
        intents = interp.interpret("take me back to 3 and say hi", mode="llm").intents
        assert [(i.kind, i.rollback and i.rollback.version) for i in intents] == [("rollback", 3), ("ask", None)]

    def test_relation_alias_from_model_is_normalised(self, schema, index) -> None:
        reply = {"intents": [{"kind": "edit", "triples": [["英国", "首相", "斯塔默"]]}]}
        interp, _ = with_replies(schema, index, [json.dumps(reply)])
        (intent,) = interp.interpret("英国换人了，斯塔默上台", mode="llm").intents
        assert intent.triples[0].key == ("united_kingdom", "head_of_government", "keir_starmer")

    def test_unknown_relation_from_model_is_a_clarification(self, schema, index) -> None:
        reply = {"intents": [{"kind": "edit", "triples": [["France", "vibe", "chill"]]}]}
        interp, _ = with_replies(schema, index, [json.dumps(reply)])
        result = interp.interpret("France is chill these days", mode="llm")
        assert result.intents == [] and result.clarifications[0].kind == "relation"


class TestRepair:
    """Sloppy replies are repaired without a retry."""

    @pytest.mark.parametrize("raw", [
        f"Sure! Here it is:\n```json\n{EDIT}\n```",
        "{'kind': 'edit', 'triples': [['France', 'capital', 'Lyon'],],}",
        '[{"kind": "edit", "triples": [{"subject": "France", "relation": "capital", "object": "Lyon"}]}]',
        '{"intents": [{"kind": "Update", "triples": [["France", "capital", "Lyon"]]}',
    ])
    def test_repaired(self, raw: str) -> None:
        (intent,) = parse_reply(raw).intents
        assert intent.kind is IntentKind.EDIT and intent.triples[0].object == "Lyon"

    @pytest.mark.parametrize("raw", ["no json here", "{}", '{"intents": []}', '{"kind": "edit", "triples": []}',
                                     '{"kind": "rollback"}', '{"kind": "explode"}', '{"kind": "edit", "triples": [["a"]]}'])
    def test_unrepairable(self, raw: str) -> None:
        with pytest.raises(ValueError):
            parse_reply(raw)

    def test_string_with_brackets_is_not_cut(self) -> None:
        assert extract_json('x {"a": "}]", "b": 1} y') == {"a": "}]", "b": 1}


class TestRetry:
    """Malformed replies are retried with the error; then a typed error carries the raw text."""

    def test_retry_then_success(self, schema, index) -> None:
        interp, model = with_replies(schema, index, ["I think France", "{bad json", EDIT], llm_retries=2)
        (intent,) = interp.interpret("whatever", mode="llm").intents
        assert intent.triples[0].key == ("france", "capital", "lyon") and model.i == 0  # all three used (cycled)

    def test_gives_up_with_raw_text(self, schema, index) -> None:
        interp, _ = with_replies(schema, index, ["nope", "still nope"], llm_retries=1)
        with pytest.raises(LLMOutputError) as info:
            interp.interpret("whatever", mode="llm")
        assert info.value.raw == "still nope" and info.value.attempts == ["nope", "still nope"]
        assert isinstance(info.value, KGEditError) and info.value.http_status == 502

    def test_bad_entity_is_retried_not_half_used(self, schema, index) -> None:
        bad = json.dumps({"intents": [{"kind": "edit", "triples": [["France", "capital", "Lyon"]]},
                                      {"kind": "edit", "triples": [["!!!", "capital", "Rome"]]}]})
        interp, _ = with_replies(schema, index, [bad, bad], llm_retries=1)
        with pytest.raises(LLMOutputError):
            interp.interpret("whatever", mode="llm")

    def test_retry_turn_shows_the_error(self, schema, index) -> None:
        seen: list[list[dict]] = []

        def generate(messages: list[dict]) -> str:
            seen.append(messages)
            return "oops" if len(seen) == 1 else EDIT

        interp = Interpreter(schema, embedder=None, llm=LocalChatModel(generate_fn=generate))
        interp.interpret("whatever", mode="llm")
        assert seen[1][-2] == {"role": "assistant", "content": "oops"}
        assert seen[1][-1]["role"] == "user" and "not valid" in seen[1][-1]["content"]

    def test_model_failure_is_typed(self, schema) -> None:
        def broken(messages: list[dict]) -> str:
            raise RuntimeError("CUDA out of memory")

        interp = Interpreter(schema, embedder=None, llm=LocalChatModel(generate_fn=broken))
        with pytest.raises(LLMUnavailable, match="out of memory"):
            interp.interpret("whatever", mode="llm")


class TestRouting:
    """In auto mode only what the rules cannot read goes to the model."""

    def test_rules_first(self, schema, index) -> None:
        calls: list[str] = []

        def generate(messages: list[dict]) -> str:
            calls.append(messages[-1]["content"])
            return json.dumps({"intents": [{"kind": "ask", "question": messages[-1]["content"]}]})

        interp = Interpreter(schema, entity_index=index, embedder=None, llm=LocalChatModel(generate_fn=generate))
        result = interp.interpret("The capital of France is Lyon. Tell me something nice!")
        assert [i.source for i in result.intents] == ["rules", "llm"]
        assert calls == ["Tell me something nice!"]

    def test_llm_mode_needs_a_model(self, bare: Interpreter) -> None:
        from kg.errors import ConfigError

        with pytest.raises(ConfigError):
            bare.interpret("hello", mode="llm")

    def test_rules_mode_never_calls(self, schema) -> None:
        def generate(messages: list[dict]) -> str:
            raise AssertionError("the LLM must not be called in rules mode")

        interp = Interpreter(schema, embedder=None, llm=LocalChatModel(generate_fn=generate))
        assert interp.interpret("Tell me something nice!", mode="rules").intents[0].kind == "ask"

    def test_prompt_lists_the_relations_mentioned(self, schema) -> None:
        seen: list[list[dict]] = []

        def generate(messages: list[dict]) -> str:
            seen.append(messages)
            return EDIT

        Interpreter(schema, embedder=None, llm=LocalChatModel(generate_fn=generate)).interpret(
            "the currency thing in France, sort it out", mode="llm")
        system = seen[0][0]
        assert system["role"] == "system" and "currency" in system["content"] and "doctoral_advisor" not in system["content"]


class TestLocalChatModel:
    """The adapter over a plain callable."""

    def test_roles_and_stop(self) -> None:
        seen: list[list[dict]] = []

        def generate(messages: list[dict]) -> str:
            seen.append(messages)
            return "answer STOP trailing"

        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        model = LocalChatModel(generate_fn=generate)
        reply = model.invoke([SystemMessage("s"), HumanMessage("h"), AIMessage("a")], stop=["STOP"])
        assert reply.content == "answer "
        assert seen == [[{"role": "system", "content": "s"}, {"role": "user", "content": "h"},
                         {"role": "assistant", "content": "a"}]]
