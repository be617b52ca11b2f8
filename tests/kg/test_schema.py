"""The relation schema: the shipped library's invariants, lookup, run-time additions and round trips."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from importlib import resources

import pytest

from kg.errors import InvalidInput, NotFound, UnknownRelation
from kg.ids import entity_id
from kg.schema import Cardinality, Composition, Relation, RelationSchema

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def schema() -> RelationSchema:
    return RelationSchema.default()


def make(name: str, **kw) -> Relation:
    """A valid custom relation; keyword arguments override fields."""
    fields = dict(cardinality="many2many", aliases=(f"{name.replace('_', ' ')} alias",),
                  prompts={"en": (f"The {name} of {{subject}} is",), "zh": ("{subject}的测试是",)},
                  questions={"en": (f"What is the {name} of {{subject}}?",)})
    fields.update(kw)
    return Relation(name=name, **fields)


def raw_library() -> dict:
    return json.loads(resources.files("kg").joinpath("data/relations.json").read_text(encoding="utf-8"))


class TestLibrary:
    """The shipped library is complete and self-consistent."""

    def test_has_at_least_60_relations(self, schema):
        assert len(schema) >= 60 and len(schema.names()) == len(set(schema.names()))

    def test_every_inverse_exists_and_points_back(self, schema):
        for rel in schema:
            if rel.inverse:
                inv = schema.inverse_of(rel.name)
                assert inv is not None and inv.name == rel.inverse and inv.inverse == rel.name, rel.name
                assert inv.cardinality == rel.cardinality.inverted, rel.name

    def test_templates_in_both_languages(self, schema):
        for rel in schema:
            for lang in ("en", "zh"):
                assert len(rel.prompts[lang]) >= 2, (rel.name, lang)
                assert len(rel.questions[lang]) >= 2, (rel.name, lang)
                for template in rel.prompts[lang] + rel.questions[lang]:
                    assert "{subject}" in template, (rel.name, template)
            assert all(CJK.search(t) for t in rel.prompts["zh"] + rel.questions["zh"]), rel.name
            assert all(q.endswith("?") for q in rel.questions["en"]), rel.name

    def test_every_relation_has_english_and_chinese_aliases(self, schema):
        for rel in schema:
            assert any(CJK.search(a) for a in rel.aliases), rel.name
            assert any(not CJK.search(a) for a in rel.aliases), rel.name

    def test_no_alias_maps_to_two_relations(self):
        owners: dict[str, set[str]] = defaultdict(set)
        for rel in raw_library()["relations"]:
            for text in [rel["name"], *rel["aliases"]]:
                owners[entity_id(text)].add(rel["name"])
        assert {k: v for k, v in owners.items() if len(v) > 1} == {}

    def test_compositions_reference_known_relations(self, schema):
        comps = schema.compositions()
        assert len(comps) >= 8
        for comp in comps:
            assert comp.result in schema.names() and all(p in schema.names() for p in comp.path)
            if schema.get(comp.result).single_valued:  # else derived facts would contradict each other
                assert all(schema.get(p).single_valued for p in comp.path), comp

    @pytest.mark.parametrize(("name", "card"), [
        ("capital", "one2one"), ("capital_of", "one2one"), ("head_of_state", "many2one"),
        ("head_of_state_of", "one2many"), ("spouse", "one2one"), ("born_in", "many2one"),
        ("official_language", "many2many"), ("borders", "many2many"), ("located_in", "many2one"),
        ("contains", "one2many"), ("father", "many2one"), ("first_lady", "many2one"), ("currency", "many2many"),
    ])
    def test_cardinalities(self, schema, name, card):
        assert schema.get(name).cardinality == Cardinality(card)

    def test_symmetric_and_protected(self, schema):
        assert schema.get("spouse").symmetric and schema.get("borders").symmetric
        assert schema.get("head_of_state").protected and not schema.get("capital").protected

    def test_default_is_a_fresh_object(self, schema):
        schema.add(make("favourite_dish"))
        assert "favourite_dish" not in RelationSchema.default()


class TestCardinality:
    """single_valued and inverted follow the definitions."""

    def test_single_valued(self):
        assert Cardinality.ONE2ONE.single_valued and Cardinality.MANY2ONE.single_valued
        assert not Cardinality.ONE2MANY.single_valued and not Cardinality.MANY2MANY.single_valued

    def test_inverted(self):
        assert Cardinality.ONE2MANY.inverted is Cardinality.MANY2ONE
        assert Cardinality.MANY2ONE.inverted is Cardinality.ONE2MANY
        assert Cardinality.ONE2ONE.inverted is Cardinality.ONE2ONE


class TestTemplates:
    """Prompts and questions render with the subject in place."""

    def test_prompt_and_paraphrases(self, schema):
        capital = schema.get("capital")
        assert capital.prompt("France") == "The capital of France is"
        assert capital.prompt("France", lang="zh") == "France的首都是"
        assert capital.prompt("France", index=1) == "France's capital is"
        assert capital.prompts_for("法国", "zh-CN")[0] == "法国的首都是"

    def test_question(self, schema):
        assert schema.get("capital").question("France") == "What is the capital of France?"
        assert schema.get("capital").question("法国", "zh") == "法国的首都是哪里？"

    def test_subject_with_braces_is_literal(self, schema):
        assert schema.get("capital").prompt("{x}") == "The capital of {x} is"

    def test_index_out_of_range(self, schema):
        with pytest.raises(InvalidInput):
            schema.get("capital").prompt("France", index=9)

    def test_fallback_for_missing_language(self):
        rel = Relation(name="favourite_dish", cardinality="many2many", aliases=("最爱菜",))
        assert rel.prompt("Ann") == "The favourite dish of Ann is"
        assert rel.prompt("Ann", "zh") == "Ann的最爱菜是"
        assert rel.question("Ann") == "What is the favourite dish of Ann?"


class TestLookup:
    """get() resolves names, normalised names and EN/ZH aliases; unknown names get suggestions."""

    @pytest.mark.parametrize(("text", "name"), [
        ("capital", "capital"), ("Head of State", "head_of_state"), ("head-of-state", "head_of_state"),
        ("HEAD_OF_STATE", "head_of_state"), ("president", "head_of_state"), ("prime minister", "head_of_government"),
        ("Prime_Minister", "head_of_government"), ("place of birth", "born_in"), ("capital city", "capital"),
        ("capital of", "capital_of"), ("the capital", "capital"), ("首都", "capital"), ("首都是", "capital"),
        ("国家元首", "head_of_state"), ("总理", "head_of_government"), ("官方语言", "official_language"),
        ("配偶", "spouse"), ("第一夫人", "first_lady"), ("出生地", "born_in"), ("wife", "spouse"),
    ])
    def test_get(self, schema, text, name):
        assert schema.get(text).name == name
        assert text in schema

    def test_unknown_suggests_nearest(self, schema):
        with pytest.raises(UnknownRelation) as info:
            schema.get("captial")
        assert info.value.suggestions[0] == "capital" and len(info.value.suggestions) <= 5
        assert "capital" in str(info.value)
        assert isinstance(info.value, NotFound)

    def test_reworded_phrase_suggests_by_shared_words(self, schema):
        assert "head_of_government" in schema.suggest("head of govt")[:2]

    def test_nothing_close(self, schema):
        assert schema.find("zzqqxx") is None and "zzqqxx" not in schema
        with pytest.raises(UnknownRelation) as info:
            schema.get("zzqqxx")
        assert info.value.suggestions == []

    def test_compose(self, schema):
        assert schema.compose("head_of_state", "spouse").name == "first_lady"
        assert schema.compose("president", "wife").name == "first_lady"  # aliases resolve
        assert schema.compose("father", "father").name == "paternal_grandfather"
        assert schema.compose("spouse", "head_of_state") is None
        using = {c.result for c in schema.compositions_using("spouse")}
        assert {"first_lady", "father_in_law", "mother_in_law"} <= using


class TestAdd:
    """Run-time additions are validated and atomic."""

    @pytest.mark.parametrize(("relation", "message"), [
        (make("Favourite Dish"), "snake_case"),
        (make("favourite-dish"), "snake_case"),
        (make("capital"), "already exists"),
        (make("favourite_dish", aliases=("首都",)), "collides"),
        (make("favourite_dish", aliases=("President",)), "collides"),
        (make("head_of_states"), None),  # valid: a new name close to an existing one is fine
        (make("favourite_dish", inverse="dish_of"), "does not exist"),
        (make("favourite_dish", inverse="capital"), "not back"),
        (make("favourite_dish", prompts={"en": ("The favourite dish is",)}), "{subject}"),
        (make("favourite_dish", prompts={"en": ("The dish of {subject} for {object} is",)}), "placeholder"),
        (make("favourite_dish", prompts={"en": ("The dish of {subject} is ",)}), "spaces"),
        (make("favourite_dish", questions={"english": ("What is {subject}?",)}), "language"),
        (make("favourite_dish", cardinality="many2one", inverse="favourite_dish"), "symmetric"),
    ])
    def test_validation(self, schema, relation, message):
        before = schema.names()
        if message is None:
            schema.add(relation)
            assert schema.get(relation.name) == relation
            return
        with pytest.raises(InvalidInput, match=re.escape(message)):
            schema.add(relation)
        assert schema.names() == before

    def test_bad_cardinality(self):
        with pytest.raises(InvalidInput, match="cardinality"):
            Relation(name="x", cardinality="one2few")

    def test_add_pair(self, schema):
        schema.add_pair(make("mentor", inverse="mentee", cardinality="one2many"),
                        make("mentee", inverse="mentor", cardinality="many2one"))
        assert schema.inverse_of("mentor").name == "mentee" and schema.inverse_of("mentee").name == "mentor"
        assert [r.name for r in schema.custom()] == ["mentor", "mentee"]

    def test_add_pair_is_atomic(self, schema):
        with pytest.raises(InvalidInput, match="collides"):
            schema.add_pair(make("mentor", inverse="mentee"), make("mentee", inverse="mentor", aliases=("首都",)))
        assert "mentor" not in schema and schema.custom() == []

    def test_add_pair_checks_cardinality_and_pointing(self, schema):
        with pytest.raises(InvalidInput, match="must be many2one"):
            schema.add_pair(make("mentor", inverse="mentee", cardinality="one2many"),
                            make("mentee", inverse="mentor", cardinality="one2many"))
        with pytest.raises(InvalidInput, match="name each other"):
            schema.add_pair(make("mentor", inverse="mentee"), make("mentee"))

    def test_symmetric_add(self, schema):
        schema.add(make("rival", inverse="rival"))
        assert schema.inverse_of("rival").name == "rival"

    def test_add_composition(self, schema):
        schema.add_pair(make("mentor", inverse="mentee"), make("mentee", inverse="mentor"))
        schema.add(make("grand_mentor"))
        comp = Composition("grand_mentor", ("mentor", "mentor"))
        schema.add_composition(comp)
        assert schema.compose("mentor", "mentor").name == "grand_mentor"
        assert schema.custom_compositions() == [comp]

    @pytest.mark.parametrize(("comp", "message"), [
        (Composition("first_lady", ("head_of_state", "nope")), "unknown relation"),
        (Composition("spouse", ("head_of_state", "spouse")), "already composes"),
        (Composition("father", ("child", "spouse")), "single-valued"),
    ])
    def test_bad_composition(self, schema, comp, message):
        with pytest.raises(InvalidInput, match=message):
            schema.add_composition(comp)
        assert schema.custom_compositions() == []


class TestRoundTrip:
    """Relations and schemas survive to_dict/from_dict and JSON files, custom additions included."""

    def test_relation(self, schema):
        for rel in schema:
            again = Relation.from_dict(json.loads(json.dumps(rel.to_dict())))
            assert again == rel and hash(again) == hash(rel)

    def test_relation_rejects_unknown_field(self):
        with pytest.raises(InvalidInput, match="reverse"):
            Relation.from_dict({"name": "x", "cardinality": "one2one", "reverse": "y"})

    def test_custom_survives_schema_round_trip(self, schema, tmp_path):
        schema.add_pair(make("mentor", inverse="mentee"), make("mentee", inverse="mentor"))
        schema.add_composition(Composition("mentor", ("mentee", "mentee")))
        again = RelationSchema.from_dict(json.loads(json.dumps(schema.to_dict(), ensure_ascii=False)))
        assert again.custom() == schema.custom() and again.names() == schema.names()
        assert again.compositions() == schema.compositions()
        assert again.custom_compositions() == schema.custom_compositions()
        schema.to_json(tmp_path / "schema.json")
        assert RelationSchema.from_json(tmp_path / "schema.json").to_dict() == schema.to_dict()

    def test_custom_reloads_onto_default(self, schema):
        schema.add(make("favourite_dish", aliases=("最爱菜",)))
        saved = json.loads(json.dumps([r.to_dict() for r in schema.custom()], ensure_ascii=False))
        fresh = RelationSchema.default()
        for data in saved:
            fresh.add(Relation.from_dict(data))
        assert fresh.get("最爱菜") == schema.get("favourite_dish")

    def test_from_json_errors(self, tmp_path):
        with pytest.raises(NotFound):
            RelationSchema.from_json(tmp_path / "missing.json")
        (tmp_path / "bad.json").write_text("{", encoding="utf-8")
        with pytest.raises(InvalidInput):
            RelationSchema.from_json(tmp_path / "bad.json")

    def test_library_with_broken_inverse_is_rejected(self):
        data = raw_library()
        data["relations"] = [r for r in data["relations"] if r["name"] != "capital_of"]
        with pytest.raises(InvalidInput, match="capital_of"):
            RelationSchema.from_dict(data)
