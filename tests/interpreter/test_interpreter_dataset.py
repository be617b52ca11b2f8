"""The labelled request set: its shape, its labels, and the deterministic path's accuracy on it."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from interpreter import Interpreter
from interpreter.evaluation import expected_kind, is_correct, load_requests
from interpreter.types import Interpretation
from kg.ids import entity_id

DATA = Path(__file__).resolve().parents[1] / "data" / "interpreter"


@pytest.fixture(scope="module")
def requests():
    return load_requests(DATA / "requests.jsonl")


@pytest.fixture(scope="module")
def results(interpreter: Interpreter, requests):
    return [(r, interpreter.interpret(r.text, mode="rules")) for r in requests]


class TestShape:
    """What the set covers."""

    def test_size_languages_intents(self, requests) -> None:
        assert len(requests) >= 300
        counts = Counter((r.lang, expected_kind(r)) for r in requests)
        for lang in ("en", "zh"):
            for kind in ("edit", "forget", "query", "rollback", "ask", "clarify"):
                assert counts[(lang, kind)] >= 3, (lang, kind)

    def test_held_out_share(self, requests) -> None:
        share = sum(r.split == "heldout" for r in requests) / len(requests)
        assert 0.25 <= share <= 0.35

    def test_noisy_share(self, requests) -> None:
        assert sum("noisy" in r.tags for r in requests if r.split == "dev") >= 60

    def test_ids_unique_and_file_regenerates(self, requests) -> None:
        assert len({r.id for r in requests}) == len(requests)
        lines = (DATA / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
        assert [r.text for r in requests if r.split == "heldout"] == [json.loads(l)["text"] for l in lines]


class TestLabels:
    """Labels name real relations and entity ids."""

    def test_relations_exist(self, requests, schema) -> None:
        names = set(schema.names())
        for r in requests:
            for item in r.expect if isinstance(r.expect, list) else []:
                for s, rel, o in item.get("triples", []) + item.get("supersedes", []):
                    assert rel in names, (r.id, rel)

    def test_entity_ids_are_normalised(self, requests) -> None:
        for r in requests:
            for item in r.expect if isinstance(r.expect, list) else []:
                for s, _, o in item.get("triples", []) + item.get("supersedes", []):
                    for term in (s, o):
                        assert term is None or term.startswith("?") or entity_id(term) == term, (r.id, term)


class TestScoring:
    """The scorer itself can say no."""

    def test_wrong_readings_fail(self, interpreter: Interpreter, requests) -> None:
        by_id = {r.id: r for r in requests}
        wrong = {"h013": "The capital of France is Lyon", "h052": "undo my last 2 edits",
                 "h036": "What is the currency of France?", "h060": "The capital of France is Paris"}
        for rid, text in wrong.items():
            assert not is_correct(by_id[rid], interpreter.interpret(text)), rid
        assert not is_correct(by_id["h064"], Interpretation(text="x", lang="en"))


class TestAccuracy:
    """Exact-request accuracy of the deterministic + embedding path (the bench reports the same numbers)."""

    def test_overall_and_per_group(self, results) -> None:
        groups: dict[str, list[bool]] = defaultdict(list)
        for request, result in results:
            ok = is_correct(request, result)
            for key in ("all", request.split, request.lang, expected_kind(request)):
                groups[key].append(ok)
        rates = {k: sum(v) / len(v) for k, v in groups.items()}
        assert rates["all"] >= 0.9, rates
        assert rates["heldout"] >= 0.85, rates
        assert min(rates[k] for k in ("en", "zh", "edit", "forget", "query", "rollback", "ask")) >= 0.8, rates

    def test_generated_queries_are_read_only(self, results) -> None:
        from interpreter import is_read_only

        queries = [i.query for _, res in results for i in res.intents if i.query is not None]
        assert len(queries) >= 50 and all(is_read_only(q.cypher) for q in queries)
