"""Edit metrics: teacher-forced accuracy and exact match by hand on the tiny model, locality, fluency."""

from __future__ import annotations

import math

import pytest
import torch

from editors import EditRequest, Probe
from editors.eval.decode import step_argmax
from editors.eval.fluency import fluency, ngram_entropy, words
from editors.eval.metrics import EvalOptions, locality_baseline, matches, score, summarise
from kg.errors import InvalidInput

NO_FLUENCY = EvalOptions(fluency_tokens=0)


def _by_hand(handle, prompt: str, answer: str) -> float:
    """Teacher-forced accuracy from one plain forward over prompt + answer (no batching, no cache)."""
    tok = handle.tokenizer
    p = tok(prompt)["input_ids"]
    a = tok(answer, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = handle.model(input_ids=torch.tensor([p + a])).logits[0]
    predicted = logits[len(p) - 1 : len(p) + len(a) - 1].argmax(-1).tolist()
    return sum(x == y for x, y in zip(predicted, a)) / len(a)


def _request(**extra) -> EditRequest:
    return EditRequest(prompt="The capital of France is", subject="France", target_new=" Rome", **extra)


class TestTeacherForced:
    """Token accuracy agrees with a hand computation; exact match with greedy generation."""

    def test_matches_a_plain_forward(self, tiny):
        requests = [_request(rephrase_prompts=("France's capital is",)),
                    EditRequest(prompt="Berlin is in", subject="Berlin", target_new=" Germany, Europe")]
        scores = score(tiny, requests, locality_baseline(tiny, requests), NO_FLUENCY)
        assert scores[0]["reliability"][0] == pytest.approx(_by_hand(tiny, "The capital of France is", " Rome"))
        assert scores[0]["generalization"][0] == pytest.approx(_by_hand(tiny, "France's capital is", " Rome"))
        assert scores[1]["reliability"][0] == pytest.approx(_by_hand(tiny, "Berlin is in", " Germany, Europe"))

    def test_own_greedy_continuation_is_fully_predicted(self, tiny):
        prompts = ["The capital of France is", "Water is made of hydrogen and"]
        greedy = step_argmax(tiny, prompts, 4)
        assert step_argmax(tiny, prompts, 4, greedy) == greedy

    def test_greedy_steps_equal_generate(self, tiny):
        prompts = ["The capital of France is", "Water is made of hydrogen and"]
        ids = step_argmax(tiny, prompts, 5)
        texts = [tiny.tokenizer.decode([t for t in row if t >= 0], skip_special_tokens=True) for row in ids]
        assert texts == tiny.generate(prompts, chat=False, max_new_tokens=5)


class TestLocality:
    """Unchanged on the unedited model; drops when the weights change."""

    def _requests(self):
        probes = (Probe(prompt="Water is made of hydrogen and", answer=" oxygen", kind="unrelated"),
                  Probe(prompt="The capital of Japan is", answer=" Tokyo", kind="neighbourhood"))
        return [_request(locality=probes)]

    def test_unedited_model_scores_one(self, tiny):
        requests = self._requests()
        (scores,) = score(tiny, requests, locality_baseline(tiny, requests), NO_FLUENCY)
        assert scores["locality"] == (1.0, 1.0)
        assert scores["locality.unrelated"] == (1.0, 1.0) and scores["locality.neighbourhood"] == (1.0, 1.0)

    def test_changed_weights_lower_it(self, tiny):
        requests = self._requests()
        baseline = locality_baseline(tiny, requests)
        head = tiny.model.lm_head.weight
        saved = head.detach().clone()
        with torch.no_grad():
            head.copy_(torch.randn_like(head))
        try:
            (scores,) = score(tiny, requests, baseline, NO_FLUENCY)
        finally:
            with torch.no_grad():
                head.copy_(saved)
        assert scores["locality"][0] < 1.0 and scores["locality"][1] < 1.0

    def test_baseline_must_match_the_requests(self, tiny):
        with pytest.raises(InvalidInput, match="baseline"):
            score(tiny, self._requests(), locality_baseline(tiny, [_request()]), NO_FLUENCY)


class TestExactMatch:
    """Greedy text starts with the answer, at a word boundary."""

    @pytest.mark.parametrize("text, answer, expected", [
        (" Rome, Italy", " Rome", True), ("Rome", " Rome", True), (" Romania", " Rome", False),
        (" rome", " Rome", False), ("北京市", "北京", True), (" Paris", " Rome", False), ("", " Rome", False),
        (" +33 is", " +33", True), (" +331", " +33", False),
    ])
    def test_matches(self, text, answer, expected):
        assert matches(text, answer) is expected


class TestFluency:
    """Weighted bi/tri-gram entropy as ROME's compute_n_gram_entropy."""

    def test_hand_computed(self):
        text = "the cat sat on the cat sat"
        # bigrams: the-cat x2, cat-sat x2, sat-on, on-the (6); trigrams: the-cat-sat x2, cat-sat-on, sat-on-the, on-the-cat (5)
        h2 = -(2 * (2 / 6) * math.log2(2 / 6) + 2 * (1 / 6) * math.log2(1 / 6))
        h3 = -((2 / 5) * math.log2(2 / 5) + 3 * (1 / 5) * math.log2(1 / 5))
        assert ngram_entropy(text, 2) == pytest.approx(h2)
        assert ngram_entropy(text, 3) == pytest.approx(h3)
        assert fluency(text) == pytest.approx((2 / 3 * h2 + 4 / 3 * h3) / 2)

    def test_repetition_scores_lower(self):
        assert fluency("the the the the the the the the") == 0.0
        assert fluency("Paris is the capital and largest city of France, on the Seine.") > 2.5

    def test_chinese_characters_are_words(self):
        assert words("北京是首都.") == ["北", "京", "是", "首", "都", "."]

    def test_fluency_in_scores(self, tiny):
        (scores,) = score(tiny, [_request()], locality_baseline(tiny, [_request()]), EvalOptions(fluency_tokens=12))
        assert scores["fluency"] >= 0.0


class TestSummary:
    """Means over requests, tf and em named apart, with counts."""

    def test_summarise(self):
        means, counts = summarise([{"reliability": (1.0, 1.0), "locality": (0.5, 0.0), "fluency": 5.0},
                                   {"reliability": (0.5, 0.0), "fluency": 6.0}])
        assert means == {"reliability.em": 0.5, "reliability.tf": 0.75, "locality.em": 0.0, "locality.tf": 0.5,
                         "fluency": 5.5}
        assert list(means)[:2] == ["reliability.em", "reliability.tf"]
        assert counts == {"reliability": 2, "locality": 1, "fluency": 2}


@pytest.mark.parametrize("module", ["editors.eval.metrics", "editors.eval.fluency"])
def test_doctests(module):
    """The docstring examples hold."""
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(module)).failed == 0


class TestEditedTogether:
    """A locality probe that another request of the same group edits is not scored as locality."""

    def test_skipped(self, tiny):
        a = _request(locality=(Probe(prompt="The capital of Spain is", answer=" Madrid"),
                               Probe(prompt="The capital of Japan is", answer=" Tokyo")))
        b = EditRequest(prompt="The capital of Spain is", subject="Spain", target_new=" Lima")
        together = score(tiny, [a, b], locality_baseline(tiny, [a, b]), NO_FLUENCY)
        assert len(locality_baseline(tiny, [a, b]).continuations) == 1
        assert together[0]["locality"] == (1.0, 1.0) and "locality" not in together[1]
        assert len(locality_baseline(tiny, [a]).continuations) == 2
