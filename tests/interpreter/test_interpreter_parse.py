"""The deterministic path: what representative English and Chinese messages are read as."""

from __future__ import annotations

import pytest

from interpreter import Interpreter, IntentKind
from kg.schema import Relation, RelationSchema


def keys(intent) -> list[tuple]:
    return [t.key for t in intent.triples]


def only(interpreter: Interpreter, text: str):
    result = interpreter.interpret(text, mode="rules")
    assert not result.clarifications, result.clarifications
    assert len(result.intents) == 1, result.intents
    return result.intents[0]


class TestEdits:
    """Statements and commands become edits with normalised triples."""

    @pytest.mark.parametrize("text", [
        "The capital of France is Lyon",
        "France's capital is now Lyon.",
        "Lyon is the new capital of France",
        "set the capital of france to lyon",
        "Change France's capital city to Lyon!",
        "Make Lyon the capital of France",
        "the capital of France has changed to Lyon",
        "  THE CAPITAL   OF FRANCE IS LYON  ",
        "法国的首都是里昂", "法国的首都改为里昂", "把法国的首都改成里昂", "里昂是法国的首都", " 法国 的 首都 是 里昂 。",
    ])
    def test_paraphrases_agree(self, interpreter: Interpreter, text: str) -> None:
        intent = only(interpreter, text)
        assert intent.kind is IntentKind.EDIT and keys(intent) == [("france", "capital", "lyon")]
        assert intent.source == "rules" and 0.5 < intent.confidence <= 1.0

    def test_possessive_with_alias_relation(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "Apple's CEO is now Tim Cook")
        (triple,) = intent.triples
        assert triple.key == ("apple", "ceo", "tim_cook")
        assert triple.subject.text == "Apple" and triple.subject.linked and triple.relation.text == "CEO"

    def test_new_entities_get_ids_from_their_names(self, interpreter: Interpreter) -> None:
        (triple,) = only(interpreter, "The mayor of Lyon is Grégory Doucet").triples
        assert triple.key == ("lyon", "mayor", "grégory_doucet") and not triple.object.linked

    def test_verb_template(self, interpreter: Interpreter) -> None:
        assert keys(only(interpreter, "Lionel Messi now plays for Inter Miami")) == [
            ("lionel_messi", "member_of_sports_team", "inter_miami")]

    def test_inverse_relation_is_written_canonically(self, interpreter: Interpreter) -> None:
        """"X is the capital of Y" matches capital_of's template; the triple is stored as capital(Y, X)."""
        assert keys(only(interpreter, "Paris is the capital of France")) == [("france", "capital", "paris")]

    def test_canonical_direction_can_be_turned_off(self, schema: RelationSchema) -> None:
        from interpreter import InterpreterSettings

        raw = Interpreter(schema, embedder=None, settings=InterpreterSettings(canonical_direction=False))
        assert keys(raw.interpret("Tim Cook is the CEO of Apple").intents[0]) in (
            [("tim_cook", "ceo_of", "apple")], [("apple", "ceo", "tim_cook")])
        assert keys(raw.interpret("Paris is the capital of France").intents[0]) == [("paris", "capital_of", "france")]

    def test_replacement_records_what_it_supersedes(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "Satya Nadella replaced Steve Ballmer as CEO of Microsoft.")
        assert keys(intent) == [("microsoft", "ceo", "satya_nadella")]
        assert [t.key for t in intent.supersedes] == [("microsoft", "ceo", "steve_ballmer")]

    @pytest.mark.parametrize("text", [
        "Rishi Sunak is no longer the UK's prime minister; it is Keir Starmer",
        "Rishi Sunak is no longer the prime minister of the United Kingdom, now it's Keir Starmer",
        "苏纳克不再是英国首相了，现在是斯塔默",
        "斯塔默取代苏纳克成为英国首相",
    ])
    def test_no_longer_then_new(self, interpreter: Interpreter, text: str) -> None:
        intent = only(interpreter, text)
        assert intent.kind is IntentKind.EDIT
        assert keys(intent) == [("united_kingdom", "head_of_government", "keir_starmer")]
        assert [t.key for t in intent.supersedes] == [("united_kingdom", "head_of_government", "rishi_sunak")]

    def test_statement_asked_as_question_is_not_an_edit(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "The capital of France is Paris?")
        assert intent.kind is not IntentKind.EDIT

    def test_explicit_remember(self, interpreter: Interpreter) -> None:
        assert keys(only(interpreter, "Remember that the currency of Japan is the yen")) == [("japan", "currency", "yen")]


class TestForget:
    """Forget requests and negations."""

    @pytest.mark.parametrize("text", [
        "Forget that the capital of France is Lyon.", "please unlearn the fact that Lyon is France's capital",
        "Lyon is no longer the capital of France", "forget: Lyon is the capital of France",
        "忘记法国的首都是里昂", "删除事实：法国的首都是里昂", "里昂不再是法国的首都",
    ])
    def test_forget_a_fact(self, interpreter: Interpreter, text: str) -> None:
        intent = only(interpreter, text)
        assert intent.kind is IntentKind.FORGET and keys(intent) == [("france", "capital", "lyon")]

    @pytest.mark.parametrize("text", ["Forget the spouse of Donald Trump", "forget Donald Trump's wife", "忘记特朗普的配偶"])
    def test_forget_every_value(self, interpreter: Interpreter, text: str) -> None:
        (triple,) = only(interpreter, text).triples
        assert triple.key == ("donald_trump", "spouse", None) and triple.object is None

    def test_verb_negation(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "Lionel Messi no longer plays for FC Barcelona")
        assert intent.kind is IntentKind.FORGET
        assert keys(intent) == [("lionel_messi", "member_of_sports_team", "fc_barcelona")]


class TestQuestions:
    """Questions become query intents with a variable for the answer."""

    @pytest.mark.parametrize("text", [
        "What is the capital of France?", "what's France's capital", "Tell me the capital of France",
        "Which city is the capital of France?", "capital of France?", "法国的首都是哪里？", "法国的首都是什么", "告诉我法国的首都",
    ])
    def test_one_hop(self, interpreter: Interpreter, text: str) -> None:
        intent = only(interpreter, text)
        assert intent.kind is IntentKind.QUERY and keys(intent) == [("france", "capital", "?a")]
        assert intent.question == intent.span.text

    def test_inverse_question(self, interpreter: Interpreter) -> None:
        assert keys(only(interpreter, "Which country has Ottawa as its capital?")) == [("?a", "capital", "ottawa")]

    def test_two_hop_chain(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "Who is the mayor of the capital of Germany?")
        assert keys(intent) == [("germany", "capital", "?x"), ("?x", "mayor", "?a")]

    def test_unknown_relation_in_a_question_is_a_chat_turn(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "What is the meaning of life?")
        assert intent.kind is IntentKind.ASK and intent.question == "What is the meaning of life?"


class TestRollback:
    """Undo and version requests."""

    @pytest.mark.parametrize("text,target", [
        ("undo my last edit", {"last": 1}), ("Undo the last two edits", {"last": 2}),
        ("undo my last 3 changes", {"last": 3}), ("undo edit 12", {"edit_id": "12"}),
        ("please revert edit #e-77", {"edit_id": "e-77"}), ("roll back to version 12", {"version": 12}),
        ("Go back to v7.", {"version": 7}), ("restore version 3", {"version": 3}),
        ("撤销编辑12", {"edit_id": "12"}), ("撤销我上一次的编辑", {"last": 1}), ("撤销最近两次编辑", {"last": 2}),
        ("回滚到版本12", {"version": 12}), ("回到第十二版", {"version": 12}),
    ])
    def test_targets(self, bare: Interpreter, text: str, target: dict) -> None:
        intent = only(bare, text)
        assert intent.kind is IntentKind.ROLLBACK and intent.rollback.model_dump(exclude_none=True) == target
        assert intent.triples == []


class TestMessages:
    """Whole messages: several intents, chat, spans."""

    def test_several_intents_in_order(self, interpreter: Interpreter) -> None:
        result = interpreter.interpret("Undo my last edit and tell me the capital of France. "
                                       "The currency of Japan is the yen; 法国的首都是巴黎。")
        assert [i.kind for i in result.intents] == ["rollback", "query", "edit", "edit"]
        assert keys(result.intents[3]) == [("france", "capital", "paris")]

    def test_chat_is_ask(self, bare: Interpreter) -> None:
        result = bare.interpret("Tell me a joke about cats.", mode="rules")
        assert [(i.kind, i.question) for i in result.intents] == [("ask", "Tell me a joke about cats.")]

    def test_spans_point_into_the_original_text(self, interpreter: Interpreter) -> None:
        text = "Hi!  The  CAPITAL of Ｆｒａｎｃｅ is   Lyon. 日本的首都是东京"
        result = interpreter.interpret(text)
        edit = result.intents[1]
        triple = edit.triples[0]
        assert triple.key == ("france", "capital", "lyon")
        for span in (edit.span, triple.subject.span, triple.object.span, triple.relation.span):
            assert text[span.start:span.end] == span.text
        assert triple.subject.text == "Ｆｒａｎｃｅ" and triple.object.span.text == "Lyon"
        zh = result.intents[2].triples[0]
        assert text[zh.subject.span.start:zh.subject.span.end] == "日本"

    def test_entities_with_initials_and_punctuation(self, interpreter: Interpreter) -> None:
        intent = only(interpreter, "The author of Harry Potter and the Philosopher's Stone is J. K. Rowling.")
        assert keys(intent) == [("harry_potter_and_the_philosophers_stone", "author", "j_k_rowling")]


class TestGeneratedFromSchema:
    """Frames come from the schema: a relation added at run time is understood without new patterns."""

    def test_new_relation_is_understood(self) -> None:
        schema = RelationSchema.default()
        schema.add(Relation(name="mascot", cardinality="many2one", aliases=("team mascot", "吉祥物"),
                            prompts={"en": ("The mascot of {subject} is",), "zh": ("{subject}的吉祥物是",)},
                            questions={"en": ("What is the mascot of {subject}?",)}))
        fresh = Interpreter(schema, embedder=None)
        assert keys(fresh.interpret("The team mascot of Linux is now Tux").intents[0]) == [("linux", "mascot", "tux")]
        assert keys(fresh.interpret("Linux的吉祥物是企鹅").intents[0]) == [("linux", "mascot", "企鹅")]
        assert keys(fresh.interpret("What is the mascot of Linux?").intents[0]) == [("linux", "mascot", "?a")]


class TestWrappers:
    """Prefixes around a clause: fillers, "is it true that", resignations, "has a new"."""

    @pytest.mark.parametrize("text,kind,triple", [
        ("As of today, the CEO of Apple is Tim Cook.", "edit", ("apple", "ceo", "tim_cook")),
        ("I think the capital of Australia is Canberra", "edit", ("australia", "capital", "canberra")),
        ("我觉得法国的首都是巴黎", "edit", ("france", "capital", "paris")),
        ("Hi, what is the capital of Japan?", "query", ("japan", "capital", "?a")),
        ("Is it true that Paris is the capital of France?", "query", ("france", "capital", "paris")),
        ("请问日本的首都是不是东京？", "query", ("japan", "capital", "tokyo")),
        ("Jeff Bezos stepped down as CEO of Amazon", "forget", ("amazon", "ceo", "jeff_bezos")),
        ("the UK has a new prime minister: Keir Starmer", "edit", ("united_kingdom", "head_of_government", "keir_starmer")),
        ("Tesla moved its headquarters to Austin", "edit", ("tesla", "headquarters", "austin")),
        ("特斯拉的总部搬到了奥斯汀", "edit", ("tesla", "headquarters", "austin")),
    ])
    def test_reads(self, interpreter: Interpreter, text: str, kind: str, triple: tuple) -> None:
        intent = only(interpreter, text)
        assert intent.kind == kind and keys(intent) == [triple]
        if kind == "query" and "?a" not in triple:
            assert intent.query.template == "check"

    @pytest.mark.parametrize("text", ["撤销", "回滚", "undo", "Undo that."])
    def test_bare_undo(self, bare: Interpreter, text: str) -> None:
        assert only(bare, text).rollback.last == 1

    def test_question_word_is_not_an_entity(self, interpreter: Interpreter) -> None:
        assert only(interpreter, "What does Apple's CEO earn?").kind is IntentKind.ASK


class TestCost:
    """Large messages stay cheap: one parse per sentence, run-on text is not split into hundreds of parts."""

    def test_prepare_compiles_every_frame(self, schema) -> None:
        fresh = Interpreter(schema, embedder=None)
        assert fresh.prepare() > 500

    @pytest.mark.parametrize("text", [("alpha beta and gamma, " * 1000)[:20_000], ("法国的首都是巴黎，" * 3000)[:20_000],
                                      "The capital of France is Paris. " * 150])
    def test_max_size_messages(self, bare: Interpreter, text: str) -> None:
        import time

        start = time.perf_counter()
        result = bare.interpret(text, mode="rules")
        assert time.perf_counter() - start < 10 and result.intents


def test_interpretation_round_trips_through_json(interpreter: Interpreter) -> None:
    """The API sends an Interpretation as JSON; the SDK reads it back into the same model."""
    from interpreter import Interpretation

    result = interpreter.interpret("The vibe of France is chill. Who is the CEO of Apple? undo edit 4")
    data = result.model_dump(mode="json")
    assert data["needs_clarification"] is True
    assert Interpretation.model_validate(data) == result
    assert Interpretation.model_validate_json(result.model_dump_json()) == result
