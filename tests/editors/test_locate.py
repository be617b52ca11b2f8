"""Knowledge locating: causal tracing, logit lens and automatic layer choice (tiny model and the real one)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from editors_testkit import FRANCE, hook_counts, max_abs_diff, snapshot

from editors import EditRequest, get_method
from editors.locate import causal_trace, locate_layer, logit_lens
from editors.locate import layers as layers_module
from editors.locate import tracing as tracing_module
from editors.locate.layers import depth_layer, resolve_layer, traced_layer, traced_overrides
from editors.locate.tokens import subject_range
from kg.errors import InvalidInput


class TestTinyModel:
    """Mechanics on the tiny random Llama (2 layers)."""

    def test_trace_shapes_and_json(self, tiny):
        before, hooks = snapshot(tiny.model), hook_counts(tiny.model)
        trace = causal_trace(tiny, "The capital of France is", "France", samples=2, window=2)
        n_tokens = len(tiny.tokenizer("The capital of France is")["input_ids"])
        assert trace.num_layers == 2 and trace.traced_tokens == list(range(n_tokens))
        for kind in ("hidden", "mlp", "attn"):
            assert len(trace.effects[kind]) == n_tokens and all(len(row) == 2 for row in trace.effects[kind])
            assert len(trace.subject_effect[kind]) == 2 and 0 <= trace.peak[kind] < 2
        assert 0.0 <= trace.p_corrupt <= 1.0 and 0.0 <= trace.p_clean <= 1.0
        # Restoring the last block's output at the last token gives the clean run back exactly.
        assert trace.last_effect["hidden"][-1] == pytest.approx(trace.p_clean - trace.p_corrupt, abs=1e-5)
        assert json.loads(json.dumps(trace.model_dump()))["answer_id"] == trace.answer_id
        assert max_abs_diff(tiny.model, before) == 0.0 and hook_counts(tiny.model) == hooks

    def test_key_tokens_only(self, tiny):
        trace = causal_trace(tiny, "The capital of France is", "France", samples=1, kinds=["mlp"], tokens="key")
        lo, hi = trace.subject_range
        assert trace.traced_tokens == sorted({hi - 1, len(trace.tokens) - 1}) and list(trace.effects) == ["mlp"]

    def test_logit_lens_last_layer_is_the_model(self, tiny):
        lens = logit_lens(tiny, "The capital of France is", answer=" R", top_k=3)
        assert [r.layer for r in lens.layers] == [0, 1] and all(len(r.top) == 3 for r in lens.layers)
        greedy = tiny.generate(["The capital of France is"], chat=False, max_new_tokens=1)[0]
        assert lens.layers[-1].top[0][0] == greedy
        assert lens.layers[-1].answer_rank is not None and 0.0 <= lens.layers[-1].answer_prob <= 1.0

    def test_locate_layer_and_resolve(self, tiny):
        request = EditRequest(**FRANCE)
        assert locate_layer(tiny, [request], samples=1) in (0, 1)
        assert resolve_layer(tiny, "auto", {}, 0.8, [request]) in (0, 1)
        assert resolve_layer(tiny, None, {"llama": 0.0}, 0.8, [request]) == 0
        assert resolve_layer(tiny, -1, {}, 0.8, [request]) == 1
        with pytest.raises(InvalidInput):
            resolve_layer(tiny, 2, {}, 0.8, [request])

    def test_bad_inputs(self, tiny):
        with pytest.raises(InvalidInput):
            causal_trace(tiny, "The capital of France is", "Germany")
        with pytest.raises(InvalidInput):
            causal_trace(tiny, "The capital of France is", "France", kinds=["mlp", "resid"])
        with pytest.raises(InvalidInput):
            logit_lens(tiny, "The capital", position=40)
        with pytest.raises(InvalidInput):
            locate_layer(tiny, [EditRequest(**FRANCE)], position="middle")


class TestLayersFromTracing:
    """Where a method has no defaults tuned for a model's family, or is asked for ``"auto"``, its edited layer
    comes from causal tracing on a few well-known facts, traced once per base model."""

    def test_traced_once_and_used_where_asked_or_untuned(self, tiny, monkeypatch):
        calls = []
        real = tracing_module.locate_layer
        monkeypatch.setattr(tracing_module, "locate_layer", lambda *a, **k: calls.append(1) or real(*a, **k))
        monkeypatch.setattr(layers_module, "_traced", {})
        peak = traced_layer(tiny)
        assert peak in (0, 1) and traced_layer(tiny) == peak and len(calls) == 1
        tuned = {"llama"}  # the tiny model's family
        assert traced_overrides(tiny, {"layer": "auto"}, key="layer", tuned_families=tuned) == {"layer": peak}
        assert traced_overrides(tiny, {"v_steps": 3}, key="layer", tuned_families=tuned) == {"v_steps": 3}
        assert traced_overrides(tiny, {"layer": 1}, key="layer", tuned_families=()) == {"layer": 1}
        assert traced_overrides(tiny, {}, key="layer", tuned_families=()) == {"layer": peak}
        assert traced_overrides(tiny, {"layers": "auto"}, key="layers", tuned_families=tuned) == {"layers": (0, 1)}

    def test_window_around_the_peak(self, monkeypatch):
        deep = SimpleNamespace(arch=SimpleNamespace(family="llama", num_layers=30))  # only what the window reads
        monkeypatch.setattr(layers_module, "traced_layer", lambda handle, **kw: 1)
        assert traced_overrides(deep, {"layers": "auto"}, key="layers", tuned_families=()) == {"layers": (0, 1, 2, 3, 4)}
        monkeypatch.setattr(layers_module, "traced_layer", lambda handle, **kw: 17)
        assert traced_overrides(deep, {"layers": "auto"}, key="layers", tuned_families=()) == {
            "layers": (15, 16, 17, 18, 19)}
        monkeypatch.setattr(layers_module, "traced_layer", lambda handle, **kw: 29)
        assert traced_overrides(deep, {}, key="layers", tuned_families=()) == {"layers": (25, 26, 27, 28, 29)}

    @pytest.mark.parametrize("name", ["rome", "memit", "alphaedit", "ft"])
    def test_methods_trace_for_a_family_without_defaults(self, tiny, monkeypatch, name):
        method, traced = get_method(name), []
        monkeypatch.setattr(layers_module, "traced_layer", lambda handle, **kw: traced.append(1) or 1)
        tuned = method.hparams(tiny)  # the tiny model is a llama: the table's layers, no tracing
        assert not traced
        monkeypatch.setattr(type(tuned), "tuned_families", frozenset({"gpt2"}))
        hp = method.hparams(tiny)
        assert traced and ((hp.layers == (0, 1)) if hasattr(hp, "layers") else hp.layer == 1)
        assert get_method(name, **{"layers" if hasattr(hp, "layers") else "layer": "auto"}).hparams(tiny) == hp

    def test_grace_and_wise_trace_for_a_family_without_a_depth(self, tiny, monkeypatch):
        request = EditRequest(**FRANCE)
        monkeypatch.setattr(tracing_module, "locate_layer", lambda handle, requests, **kw: 1)
        assert resolve_layer(tiny, None, {"llama": 0.0}, 0.8, [request]) == 0
        assert resolve_layer(tiny, None, {"gpt2": 0.0}, 0.0, [request]) == 1


def test_depth_layer():
    assert [depth_layer(30, 0.8), depth_layer(30, 0.85), depth_layer(2, 0.8), depth_layer(4, 0.0)] == [24, 26, 1, 0]


@pytest.mark.slow
class TestDefaultModel:
    """Claims on SmolLM2-135M-Instruct."""

    def test_subject_tokens(self, smol):
        lo, hi = subject_range(smol.tokenizer, "The capital of France is", "France")
        ids = smol.tokenizer("The capital of France is")["input_ids"]
        assert smol.tokenizer.decode(ids[lo:hi]) == " France"

    def test_trace_one_prompt(self, smol):
        trace = causal_trace(smol, "The capital of France is", "France", samples=2, kinds=["hidden", "mlp"],
                             tokens="key")
        assert trace.answer == " Paris" and trace.p_clean > 0.5 and trace.p_corrupt < trace.p_clean / 2
        assert len(trace.subject_effect["mlp"]) == 30 and len(trace.last_effect["hidden"]) == 30
        # Early: the subject token carries the fact; late: the last token does.
        hidden_subject, hidden_last = trace.subject_effect["hidden"], trace.last_effect["hidden"]
        assert max(hidden_subject[:5]) > 0.5 * (trace.p_clean - trace.p_corrupt)
        assert hidden_last[-1] > 0.9 * (trace.p_clean - trace.p_corrupt) > hidden_last[0]

    def test_logit_lens_answer_rises_late(self, smol):
        lens = logit_lens(smol, "The capital of France is", answer=" Paris")
        probs = [r.answer_prob for r in lens.layers]
        assert len(probs) == 30 and lens.layers[-1].answer_rank == 0
        assert max(probs[:20]) < 0.01 < probs[-1] and probs[-1] > 0.5
        assert lens.layers[-1].top[0][0] == " Paris"
