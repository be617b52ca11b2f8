"""Shared editing machinery (``editors/_common``) and every method's mechanics, on a tiny random Llama."""

from __future__ import annotations

import copy
import dataclasses
import threading
from types import SimpleNamespace

import pytest
import torch
from editors_testkit import bad_requests, hook_counts, max_abs_diff, params_state, refuses_without_change, snapshot
from transformers import (Gemma3ForCausalLM, Gemma3TextConfig, GPT2Config, GPT2LMHeadModel, Qwen2Config,
                          Qwen2ForCausalLM)

from editors import EditRequest, get_method, method_names
from editors._common import stats as stats_module
from editors._common import values as values_module
from editors._common.deltas import LayerDelta, pending, record
from editors._common.hooks import StopForward, forward_hooks, run_until_stopped
from editors._common.hparams import Shape, scale_layer, scale_layers
from editors._common.keys import in_template
from editors._common.replay import BlockReplay
from editors._common.stats import SecondMoments
from editors._common.templates import TemplateCache
from editors._common.tokens import encode_split, item_for, pad_id_of, prompt_ids_and_subject
from editors._common.values import ValueKnobs
from editors.memit import MemitHparams
from editors.rome.rank_one import rank_one
from kg.errors import InvalidInput
from models import DenseRecord, LowRankRecord
from models.arch import FAMILIES, Arch

REQUEST = EditRequest(prompt="The capital of France is", subject="France", target_new=" xyz")
FAST = {  # knobs that keep each method to well under a second on the tiny model
    "rome": dict(stats_samples=8, v_steps=3, context_templates=((3, 1),)),
    "memit": dict(layers=(0, 1), stats_samples=8, v_steps=3, context_templates=((3, 1),)),
    "alphaedit": dict(layers=(0, 1), stats_samples=8, v_steps=3, context_templates=((3, 1),)),
    "ft": dict(steps=3),
}


class TestHooks:
    """Forward hooks live in a with block, act on their own thread only, and never touch others' hooks."""

    def test_removed_after_the_block_and_after_errors(self, tiny):
        model, path = tiny.model, tiny.arch.mlp_out_path(0)
        other = model.get_submodule(path).register_forward_hook(lambda *a: None)
        start = hook_counts(model)
        with forward_hooks(model, outputs={path: lambda x, *, hook: x}, inputs={path: lambda x, *, hook: None}):
            assert hook_counts(model) == start + 2
        with pytest.raises(RuntimeError), forward_hooks(model, outputs={path: lambda x, *, hook: x}):
            raise RuntimeError("boom")
        assert hook_counts(model) == start
        other.remove()

    def test_stop_forward_ends_the_pass(self, tiny):
        def stop(x, *, hook):
            raise StopForward

        with forward_hooks(tiny.model, inputs={tiny.arch.mlp_out_path(0): stop}):
            assert run_until_stopped(tiny.model, input_ids=torch.tensor([[1, 2, 3]])) is None

    def test_other_threads_see_the_plain_model(self, tiny):
        ids = torch.tensor([[5, 6, 7]])
        with torch.no_grad():
            plain = tiny.model(input_ids=ids).logits
        seen = {}

        def other_thread():
            with torch.no_grad():
                seen["logits"] = tiny.model(input_ids=ids).logits

        with forward_hooks(tiny.model, outputs={tiny.arch.mlp_out_path(0): lambda x, *, hook: x + 100.0}):
            with torch.no_grad():
                mine = tiny.model(input_ids=ids).logits
            t = threading.Thread(target=other_thread)
            t.start()
            t.join()
        assert not torch.allclose(mine, plain)
        assert torch.equal(seen["logits"], plain)


class TestSubjectLocation:
    """The last token overlapping the subject, whatever the tokenizer does with the leading space."""

    def test_byte_tokenizer(self, tiny):
        ids, index = prompt_ids_and_subject(tiny.tokenizer, item_for("The capital of France is", "France"))
        assert tiny.tokenizer.decode(ids[: index + 1]).endswith("France")

    @pytest.mark.slow
    def test_real_tokenizer_leading_space(self, smol_registry):
        tok = smol_registry.get().tokenizer
        for text, subject in [("The capital of France is", "France"), ("France is a", "France"),
                              ("The Eiffel Tower is in", "Eiffel Tower"), ("New York City's mayor is", "New York")]:
            ids, index = prompt_ids_and_subject(tok, item_for(text, subject))
            assert tok.decode(ids[: index + 1]).strip().endswith(subject.split()[-1]), (text, subject)
            assert subject.split()[-1] in tok.decode(ids[index : index + 1]) or index == len(ids) - 1

    def test_template_prefix_is_skipped(self, tiny):
        item = in_template("France won. {}", REQUEST)
        assert item.start == item.text.index("France", len("France won. "))

    def test_missing_subject(self, tiny):
        with pytest.raises(InvalidInput):
            item_for("The capital of Spain is", "France")


class TestPrefixCache:
    """Running the prefix once and the suffix with its KV cache, scoring only the picked positions, gives the
    full forward's logits and target log-probabilities (the last target token is not fed: nothing reads it)."""

    def test_same_logits_as_a_full_forward(self, tiny):
        targets = [(70, 71), (72,), (70, 71, 73)]
        items = [item_for(t, "France", target) for t, target in
                 zip(("The capital of France is", "France is", "Long prefix here. France won"), targets)]
        items.append(item_for("France is a", "France"))  # no target: its last position is picked
        batch = encode_split(tiny.tokenizer, items, tiny.device, pad_id_of(tiny.tokenizer))
        rows = [prompt_ids_and_subject(tiny.tokenizer, item)[0] + list(item.target) for item in items]
        with torch.no_grad():
            full = [tiny.model(input_ids=torch.tensor([ids])).logits[0].log_softmax(-1) for ids in rows]
            cache = tiny.model(**batch.prefix_inputs()).cache
            with forward_hooks(tiny.model, inputs={tiny.arch.facts.lm_head: batch.pick}):
                split = tiny.model(**batch.suffix_inputs(cache)).logits
        assert split.shape[:2] == (1, sum(len(t) for t in targets) + 1)  # one LM-head row per scored position
        expected = [lp[len(ids) - len(t) - 1 : len(ids) - 1].gather(-1, torch.tensor(t)[:, None]).mean()
                    for lp, ids, t in zip(full, rows, targets)]
        assert torch.allclose(batch.target_log_probs(split)[:3], torch.stack(expected), atol=1e-4)
        last = batch.last_logits(split, torch.tensor([3])).log_softmax(-1)
        assert torch.allclose(last, full[3][-1:], atol=1e-4)


class TestValueReplay:
    """After the first step, the value optimisation runs only the blocks from the changed one up, and gets the
    same values as with full forwards."""

    KNOBS = ValueKnobs(steps=6, lr=0.5, kl_factor=0.0625, weight_decay=1e-3, clamp_norm_factor=4, loss_stop=-1.0)
    TEMPLATES = ("{}", "Some prefix. {}")

    def test_same_values_as_full_forwards(self, tiny, monkeypatch):
        # Layer 0 of the tiny model's 2: the last layer's output at the subject reaches no scored position.
        module = tiny.arch.mlp_out_path(0)
        replayed = values_module.optimise(tiny, [REQUEST], self.TEMPLATES, module, self.KNOBS)
        monkeypatch.setattr(values_module.BlockReplay, "ready", property(lambda self: False))
        full = values_module.optimise(tiny, [REQUEST], self.TEMPLATES, module, self.KNOBS)
        assert replayed.steps == full.steps == self.KNOBS.steps
        assert replayed.delta.norm() > 0.1 and torch.allclose(replayed.delta, full.delta, atol=1e-5)
        assert replayed.nll_after == pytest.approx(full.nll_after, abs=1e-4)

    def test_blocks_below_run_once_per_pass(self, tiny):
        calls = {0: 0, 1: 0}

        def count(i):
            def hook(*args):
                calls[i] += 1
            return hook

        handles = [tiny.arch.layer(i).register_forward_hook(count(i)) for i in calls]
        try:
            values_module.optimise(tiny, [REQUEST], self.TEMPLATES, tiny.arch.mlp_out_path(1), self.KNOBS)
        finally:
            for handle in handles:
                handle.remove()
        assert calls[0] == 2  # the prefix pass and the first step's full forward
        assert calls[1] == 2 + 1 + self.KNOBS.steps  # those, the replay check, then one replay per later step


def _tiny_family_model(family: str) -> torch.nn.Module:
    """A random 3-block model of one supported family (Gemma 3 with a sliding window and logit soft-capping)."""
    torch.manual_seed(0)
    common = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=100)
    if family == "gpt2":
        return GPT2LMHeadModel(GPT2Config(n_embd=32, n_layer=3, n_head=4, vocab_size=100, n_positions=64)).eval()
    if family == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(**common)).eval()
    return Gemma3ForCausalLM(Gemma3TextConfig(**common, head_dim=8, sliding_window=4,
                                              final_logit_softcapping=5.0)).eval()


@pytest.mark.parametrize("family", ["gpt2", "qwen2", "gemma3"])
@pytest.mark.parametrize("where", ["mlp_out", "block"])
def test_block_replay_reproduces_each_family(family, where):
    """Replaying the recorded upper blocks on the prefix cache gives the full suffix forward's logits."""
    model = _tiny_family_model(family)
    handle = SimpleNamespace(model=model, arch=Arch(FAMILIES[family], model))
    module = handle.arch.mlp_out_path(1) if where == "mlp_out" else handle.arch.layer_path(1)
    ids = torch.randint(0, 100, (2, 9), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, :2] = 0  # a left-padded row
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    keep = torch.tensor([1, 3])
    with torch.no_grad():
        prefix = model(input_ids=ids[:, :5], attention_mask=mask[:, :5], position_ids=positions[:, :5],
                       use_cache=True).cache
        recorded, replay = copy.deepcopy(prefix), BlockReplay(handle, module)
        with replay.recording(recorded):
            full = model(input_ids=ids[:, 5:], attention_mask=mask, position_ids=positions[:, 5:], cache=recorded,
                         use_cache=True, logits_to_keep=keep).logits
    assert replay.ready and replay.first == 1
    assert replay.matches(copy.deepcopy(prefix), keep, full)


class TestDeltas:
    """Pending deltas emulate the applied record, and records use each parameter's layout."""

    def test_pending_matches_the_applied_record(self, tiny):
        gen = torch.Generator().manual_seed(0)
        deltas = {l: LayerDelta(torch.randn(32, 2, generator=gen), torch.randn(64, 2, generator=gen)) for l in (0, 1)}
        ids = torch.tensor([[3, 4, 5, 6]])
        with torch.no_grad(), pending(tiny, deltas):
            emulated = tiny.model(input_ids=ids).logits
        rec = record(tiny, deltas, {"method": "test"})
        tiny.ledger.apply(rec)
        with torch.no_grad():
            applied = tiny.model(input_ids=ids).logits
        tiny.ledger.revert(rec.id)
        assert torch.allclose(emulated, applied, atol=1e-4)

    def test_rank_one_maps_the_key_to_its_new_value(self):
        gen = torch.Generator().manual_seed(1)
        a = torch.randn(64, 64, generator=gen, dtype=torch.float64)
        c, key, delta = a @ a.T / 64 + torch.eye(64, dtype=torch.float64), torch.randn(64, generator=gen), \
            torch.randn(32, generator=gen)
        w, u = rank_one(key, delta, c)
        assert torch.allclose(torch.outer(w, u) @ key.double(), delta.double())
        assert torch.allclose(u, torch.linalg.solve(c, key.double()))


class TestStatistics:
    """Second moments: computed once, cached on disk with their sample count, reloaded without computing."""

    def test_disk_cache(self, tiny, tiny_home, monkeypatch):
        stats = SecondMoments(tiny_home)
        c = stats.get(tiny, [0, 1], 6)
        path = stats.path(tiny.ledger.base_checksum, 1, 6)
        assert path.exists() and path.parent.parent == tiny_home / "stats"
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            meta = f.metadata()
        assert meta["samples"] == "6" and int(meta["tokens"]) > 6 and meta["dataset"] == stats_module.DATASET
        assert tuple(c[0].shape) == (64, 64) and torch.allclose(c[0], c[0].T)
        assert float(torch.linalg.eigvalsh(c[0].double()).min()) > -1e-6

        monkeypatch.setattr(stats_module, "accumulate", lambda *a, **k: pytest.fail("recomputed"))
        again = SecondMoments(tiny_home).get(tiny, [1, 0], 6)
        assert torch.equal(again[1], c[1]) and torch.equal(again[0], c[0])


class TestTemplates:
    """Context templates are generated once per model state."""

    def test_cached_per_state(self, tiny, monkeypatch):
        from editors._common import templates as module

        calls = []
        real = module.generate_templates
        monkeypatch.setattr(module, "generate_templates", lambda *a: calls.append(1) or real(*a))
        cache = TemplateCache()
        first = cache.get(tiny, ((3, 2),))
        assert first[0] == "{}" and len(first) == 3 and all(t.endswith(". {}") for t in first[1:])
        assert cache.get(tiny, ((3, 2),)) == first and len(calls) == 1
        rec = DenseRecord.from_delta(tiny.model, {"model.layers.0.mlp.down_proj.weight": torch.ones(32, 64)})
        tiny.ledger.apply(rec)
        cache.get(tiny, ((3, 2),))
        assert len(calls) == 2


class TestHparams:
    """Defaults scale with the model; unknown knobs are refused."""

    def test_scaling(self):
        assert scale_layer(5, 32, 30) == 5 and scale_layer(21, 32, 30) == 20
        assert scale_layers((4, 5, 6, 7, 8), 32, 30) == (4, 5, 6, 7, 8)
        assert scale_layers((4, 5, 6, 7, 8), 32, 2) == (0, 1)
        assert MemitHparams.for_model(Shape("llama", 32, 11008)).mom2_update_weight == 15000.0
        assert MemitHparams.for_model(Shape("llama", 30, 1536)).mom2_update_weight == pytest.approx(2093, abs=1)

    @pytest.mark.parametrize("name", ["rome", "memit", "alphaedit", "ft"])
    def test_unknown_knob(self, name):
        with pytest.raises(InvalidInput):
            get_method(name, no_such_knob=1)


class TestMethodMechanics:
    """Every method on the tiny model: record kind and shapes, exact round trip, nothing left behind."""

    @pytest.mark.parametrize("name", ["rome", "memit", "alphaedit", "ft"])
    def test_record_round_trip(self, tiny, tiny_home, name):
        assert name in method_names()
        method = get_method(name, home=tiny_home, **FAST[name])
        assert method.name == name and isinstance(method.batchable, bool) and isinstance(method.needs_stats, bool)
        saved, hooks, grads = snapshot(tiny.model), hook_counts(tiny.model), params_state(tiny.model)
        rec = method.apply(tiny, [REQUEST])
        assert max_abs_diff(tiny.model, saved) == 0.0
        assert hook_counts(tiny.model) == hooks and params_state(tiny.model) == grads
        assert isinstance(rec, DenseRecord if name == "ft" else LowRankRecord)
        for pname in rec.touched:
            assert pname.endswith("mlp.down_proj.weight")
            if isinstance(rec, LowRankRecord):
                u, v = rec.factors[pname]
                assert u.shape[0] == 32 and v.shape[0] == 64 and u.shape[1] == v.shape[1] >= 1
        tiny.ledger.apply(rec)
        assert max_abs_diff(tiny.model, saved) > 0.0
        again = tiny.ledger.record(rec.id)  # persisted and read back
        assert again.after == rec.after and again.meta["method"] == name
        tiny.ledger.revert(rec.id)
        assert max_abs_diff(tiny.model, saved) == 0.0

    @pytest.mark.parametrize("name", ["rome", "memit", "alphaedit", "ft"])
    def test_bad_requests(self, tiny, tiny_home, name):
        method = get_method(name, home=tiny_home, **FAST[name])
        for case, requests in bad_requests().items():
            assert refuses_without_change(tiny, method, requests), case


class TestValueStop:
    """When a request's optimisation stops: on its total loss (default) or, with ``stop_on_nll``, once the target
    NLL in every template is below ``loss_stop`` (the KL and weight-decay terms do not hold it back)."""

    TEMPLATES = ("{}", "Some prefix. {}")

    def knobs(self, **changes):
        base = dict(steps=30, lr=0.5, kl_factor=0.0625, weight_decay=1e-3, clamp_norm_factor=4, loss_stop=-1.0)
        return ValueKnobs(**{**base, **changes})

    def run(self, tiny, knobs):
        return values_module.optimise(tiny, [REQUEST], self.TEMPLATES, tiny.arch.mlp_out_path(0), knobs)

    @pytest.mark.parametrize("stop_on_nll", [False, True])
    def test_never_or_at_once(self, tiny, stop_on_nll):
        assert self.run(tiny, self.knobs(stop_on_nll=stop_on_nll)).steps == 30
        at_once = self.run(tiny, self.knobs(stop_on_nll=stop_on_nll, loss_stop=1e9))
        assert at_once.steps == 0 and not at_once.delta.any()

    def test_nll_rule_stops_once_every_template_fits(self, tiny):
        # The tiny model's target NLL falls from 6.60 to ~6.45 in 10 steps and ~6.15 in 30 (kl_factor 10). The loss
        # rule stops on the templates' mean NLL plus the regularisers, the NLL rule on the worst template's NLL.
        regularised = self.knobs(kl_factor=10.0, loss_stop=6.4)
        by_loss = self.run(tiny, regularised)
        by_nll = self.run(tiny, dataclasses.replace(regularised, stop_on_nll=True))
        assert by_nll.nll_before[0] > 6.4 > by_nll.nll_after[0] and 0 < by_nll.steps < 30
        assert by_nll.steps != by_loss.steps


class TestValueChunks:
    """Requests are optimised ``chunk`` at a time; rows never interact, so the chunking changes nothing but the
    memory and the steps each batch runs."""

    REQUESTS = (REQUEST, EditRequest(prompt="Tokyo is the capital of", subject="Tokyo", target_new=" Peru"),
                EditRequest(prompt="The Eiffel Tower is in", subject="The Eiffel Tower", target_new=" Rome"))

    def run(self, tiny, chunk, **changes):
        knobs = ValueKnobs(**{"steps": 12, "lr": 0.5, "kl_factor": 0.0625, "weight_decay": 1e-3,
                              "clamp_norm_factor": 4, "loss_stop": 6.45, "chunk": chunk, **changes})
        return values_module.optimise(tiny, self.REQUESTS, ("{}", "Some prefix. {}"), tiny.arch.mlp_out_path(0),
                                      knobs)

    def test_chunks_give_the_batch_result(self, tiny):
        together, apart = self.run(tiny, chunk=16), self.run(tiny, chunk=1)
        assert apart.delta.shape == together.delta.shape == (3, tiny.model.config.hidden_size)
        assert together.delta.abs().max() > 0
        torch.testing.assert_close(apart.delta, together.delta, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(apart.v0, together.v0)
        assert apart.nll_before == pytest.approx(together.nll_before, abs=2e-4)  # rounded to 4 places
        assert apart.nll_after == pytest.approx(together.nll_after, abs=2e-4)
        assert apart.steps == together.steps  # the batch runs as long as its slowest request

    def test_bad_chunk_is_refused_before_any_work(self, tiny):
        with pytest.raises(InvalidInput, match="chunk"):
            self.run(tiny, chunk=0)
        with pytest.raises(InvalidInput, match="v_chunk"):
            get_method("memit", v_chunk=0).hparams(tiny)
