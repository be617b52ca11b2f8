"""The built-in counterfactual set on the real default model: only facts it gets right, EN and ZH, seeded."""

from __future__ import annotations

import json

import pytest

from editors.eval.counterfact import CounterfactOptions, builtin_counterfacts
from editors.eval.facts import kg_table
from editors.eval.metrics import matches
from kg.schema import RelationSchema

CAPITALS = ("capital",)
#: The first 80 countries of the demo KG: checking all 235 capitals takes minutes on a shared 2-core machine.
COUNTRIES = tuple(dict.fromkeys(s for (s, r) in kg_table(RelationSchema.default()) if r == "capital"))[:80]


def _known_by_hand(handle, lang: str) -> set[str]:
    """Countries whose capital the model completes right, recomputed the way the filter batches its prompts
    (every capital prompt of the KG, in table order), so numerical batching effects cannot differ."""
    table = kg_table(RelationSchema.default())
    keys = [s for (s, r) in table if r == "capital" and s in COUNTRIES]
    capital = RelationSchema.default().get("capital")
    outs = handle.generate([capital.prompt(s, lang) for s in keys], chat=False, max_new_tokens=10, batch_size=32)
    sep = "" if lang == "zh" else " "
    return {s for s, out in zip(keys, outs) if any(matches(out, sep + o) for o in table[(s, "capital")])}


@pytest.fixture(scope="module")
def en(smol_registry, tmp_path_factory):
    home = tmp_path_factory.mktemp("eval-cf-en")
    options = CounterfactOptions(lang="en", relations=CAPITALS, subjects=COUNTRIES)
    return home, options, builtin_counterfacts(smol_registry.get(), home=home, options=options)


@pytest.mark.slow
class TestEnglish:
    """Requests from capitals the model completes correctly before editing."""

    def test_keeps_exactly_the_known_facts(self, smol, en):
        home, _, requests = en
        (cache,) = (home / "eval").glob("known-en-*.json")
        data = json.loads(cache.read_text(encoding="utf-8"))
        assert data["checked"] == len(COUNTRIES) > len(data["facts"]) == len(requests) >= 8
        assert {r.subject for r in requests} == _known_by_hand(smol, "en")
        table = kg_table(RelationSchema.default())
        for r in requests:
            assert r.target_true.strip() in table[(r.subject, "capital")]
            assert r.target_new.strip() not in table[(r.subject, "capital")]

    def test_probes(self, en):
        _, _, requests = en
        r = requests[0]
        assert r.prompt == f"The capital of {r.subject} is" and len(r.rephrase_prompts) == 2
        kinds = {p.kind for q in requests for p in q.portability}
        assert {"inverse", "one_hop", "alias"} <= kinds
        inverse = next(p for p in r.portability if p.kind == "inverse")
        assert inverse.prompt == f"{r.target_new.strip()} is the capital of" and inverse.answer == " " + r.subject
        hop = next(p for q in requests for p in q.portability if p.kind == "one_hop")
        assert hop.prompt.startswith("The capital of ") and " is located in" in hop.prompt
        assert {p.kind for p in r.locality} == {"neighbourhood"}  # one relation only: nothing unrelated
        assert all(r.subject not in p.prompt for p in r.locality)

    def test_seeded_and_cached(self, smol, en):
        home, options, requests = en
        assert builtin_counterfacts(smol, home=home, options=options) == requests
        other = builtin_counterfacts(smol, home=home, options=CounterfactOptions(
            relations=CAPITALS, subjects=COUNTRIES, seed=1))
        assert sorted(r.prompt for r in other) == sorted(r.prompt for r in requests)
        assert [r.target_new for r in other] != [r.target_new for r in requests]
        assert len(builtin_counterfacts(smol, home=home, options=CounterfactOptions(
            relations=CAPITALS, subjects=COUNTRIES, limit=5))) == 5


@pytest.mark.slow
class TestChinese:
    """Chinese templates (English names: no Chinese country names are available offline)."""

    def test_keeps_exactly_the_known_facts(self, smol, tmp_path):
        options = CounterfactOptions(lang="zh", relations=CAPITALS, subjects=COUNTRIES)
        requests = builtin_counterfacts(smol, home=tmp_path, options=options)
        (cache,) = (tmp_path / "eval").glob("known-zh-*.json")
        assert json.loads(cache.read_text(encoding="utf-8"))["checked"] == len(COUNTRIES)
        assert {r.subject for r in requests} == _known_by_hand(smol, "zh")
        for r in requests:
            assert r.lang == "zh" and r.prompt == f"{r.subject}的首都是" and not r.target_new.startswith(" ")
            assert r.rephrase_prompts == (f"{r.subject}的首都城市是", f"{r.subject}的首都为")


class TestChineseRendering:
    """Chinese requests and probes from known facts (a cached filter result, so no model is needed: SmolLM2-135M
    knows none of the first 80 capitals in Chinese prompts)."""

    def test_requests(self, tmp_path):
        from types import SimpleNamespace

        from editors.eval.facts import _key

        stub = SimpleNamespace(state_id="s-stub")
        facts = [["France", "capital", "Paris"], ["Japan", "capital", "Tokyo"], ["Italy", "capital", "Rome"]]
        key = _key(stub, RelationSchema.default(), "zh", list(CAPITALS))
        cache = tmp_path / "eval" / f"known-zh-{key}.json"
        cache.parent.mkdir(parents=True)
        cache.write_text(json.dumps({"facts": facts}), encoding="utf-8")
        options = CounterfactOptions(lang="zh", relations=CAPITALS)
        requests = {r.subject: r for r in builtin_counterfacts(stub, home=tmp_path, options=options)}
        france = requests["France"]
        assert france.prompt == "France的首都是" and france.target_true == "Paris"
        assert france.target_new in ("Tokyo", "Rome") and france.rephrase_prompts == ("France的首都城市是", "France的首都为")
        probes = {p.kind: p for p in france.portability}
        assert probes["inverse"].prompt == f"以{france.target_new}为首都的国家是" and probes["inverse"].answer == "France"
        assert probes["one_hop"].prompt == "France的首都位于"
        assert probes["one_hop"].answer == {"Tokyo": "Japan", "Rome": "Italy"}[france.target_new]
        assert all(p.kind == "neighbourhood" and p.prompt.endswith("的首都是") for p in france.locality)
