"""Dataset readers: EasyEdit, KnowEdit and CKnowEdit shapes; malformed records name the record and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editors.eval.datasets import load_requests, parse_record
from kg.errors import InvalidInput, NotFound

DATA = Path(__file__).resolve().parents[1] / "data" / "editing"


class TestGoodFiles:
    """The sample files read into requests with their probes."""

    def test_easyedit(self):
        first, second = load_requests(DATA / "easyedit.json")
        assert (first.prompt, first.subject, first.target_new, first.target_true) == (
            "The capital of France is", "France", " Rome", " Paris")
        assert first.rephrase_prompts == ("France's capital is", "The capital city of France is")
        assert [(p.prompt, p.answer, p.kind) for p in first.locality] == [
            ("The capital of Germany is", " Berlin", "neighborhood"), ("The capital of Spain is", " Madrid", "neighborhood")]
        assert [(p.answer, p.kind) for p in first.portability] == [(" France", "inverse"), (" Italy", "one_hop")]
        assert second.target_true == " Portuguese" and second.rephrase_prompts == ("Brazil's official language is",)
        assert second.locality == () and second.portability == ()

    def test_knowedit_nested_answers(self):
        (request,) = load_requests(DATA / "knowedit.json")
        assert request.target_true == " French"
        assert {p.kind: p.answer for p in request.portability} == {"subject_aliasing": " English",
                                                                   "reasoning": " English"}
        assert request.locality[0].kind == "relation_specificity"

    def test_cknowedit(self):
        (request,) = load_requests(DATA / "cknowedit.json")
        assert request.lang == "zh" and request.subject == request.prompt
        assert request.target_new == "做多余的事，反而弄巧成拙" and request.target_true.startswith("画画时")
        assert len(request.rephrase_prompts) == 2
        assert request.locality[0].answer == "北京" and request.portability[0].answer == "画蛇添足"

    def test_limit_and_json_lines(self, tmp_path):
        rows = json.loads((DATA / "easyedit.json").read_text(encoding="utf-8"))
        lines = tmp_path / "rows.jsonl"
        lines.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        assert len(load_requests(lines)) == 2
        assert len(load_requests(DATA / "easyedit.json", limit=1)) == 1


class TestMalformed:
    """A clear InvalidInput naming the record index and the field."""

    def test_missing_target_names_record(self):
        with pytest.raises(InvalidInput, match=r"record 1: missing field 'target_new'"):
            load_requests(DATA / "malformed.json")

    def test_mismatched_locality_lists(self):
        with pytest.raises(InvalidInput, match=r"record 0: field 'locality.neighborhood': 2 prompts but 1 answers"):
            load_requests(DATA / "malformed_locality.json")

    @pytest.mark.parametrize("record, message", [
        ({"prompt": "The capital of France is", "subject": "Spain", "target_new": "Rome"}, "field 'subject'"),
        ({"prompt": "", "target_new": "Rome"}, "field 'prompt'"),
        ({"prompt": "The capital of France is", "target_new": 3}, "field 'target_new'"),
        ({"prompt": "The capital of France is", "target_new": "Rome", "rephrase": [1]}, "field 'rephrase'"),
        ({"prompt": "The capital of France is", "target_new": "Rome", "portability": "x"}, "field 'portability'"),
        ({"prompt": "The capital of France is", "target_new": "Rome",
          "locality": [{"prompt": "The capital of Spain is"}]}, "field 'locality' item 0"),
        ("not a record", "expected an object"),
    ])
    def test_bad_record(self, record, message):
        with pytest.raises(InvalidInput, match=message):
            parse_record(record, where="record 7")

    def test_not_a_list_and_missing_file(self, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text('{"prompt": "x"}', encoding="utf-8")
        with pytest.raises(InvalidInput, match="expected a JSON list"):
            load_requests(bad)
        bad.write_text("{not json", encoding="utf-8")
        with pytest.raises(InvalidInput, match="neither JSON nor JSON lines"):
            load_requests(bad)
        with pytest.raises(NotFound):
            load_requests(tmp_path / "missing.json")
