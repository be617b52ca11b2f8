"""Generation on the tiny model: strategies, batching with left padding, chat templates, validation."""

from __future__ import annotations

import pytest
import torch

from kg.errors import InvalidInput
from models import Beam, Greedy, ModelHandle, Sampling, StepState, Stepwise

PROMPTS = ["a", "the quick brown fox", "hello world, hello", "xyz"]


def _hf_generate(handle: ModelHandle, prompts: list[str], **kwargs) -> list[str]:
    tok = handle.tokenizer
    enc = tok(prompts, padding=True, padding_side="left", return_tensors="pt")
    out = handle.model.generate(**enc, max_new_tokens=8, pad_token_id=tok.pad_token_id, **kwargs)
    return tok.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)


class TestStrategies:
    """Each built-in strategy agrees with a reference or with itself."""

    def test_greedy_matches_transformers_on_a_left_padded_batch(self, tiny: ModelHandle) -> None:
        ours = tiny.generate(PROMPTS, max_new_tokens=8, chat=False)
        assert ours == _hf_generate(tiny, PROMPTS, do_sample=False)
        assert len(set(ours)) > 1  # the prompts really lead to different continuations

    def test_beam_matches_transformers(self, tiny: ModelHandle) -> None:
        ours = tiny.generate(PROMPTS, max_new_tokens=8, chat=False, decoding=Beam(num_beams=3))
        assert ours == _hf_generate(tiny, PROMPTS, num_beams=3, do_sample=False, early_stopping=True)

    def test_sampling_is_seeded(self, tiny: ModelHandle) -> None:
        def run(seed: int) -> list[str]:
            return tiny.generate(PROMPTS, max_new_tokens=8, chat=False, decoding=Sampling(temperature=2.0, seed=seed))

        assert run(1) == run(1)
        assert run(1) != run(2)

    def test_top_k_one_is_greedy(self, tiny: ModelHandle) -> None:
        greedy = tiny.generate(PROMPTS, max_new_tokens=6, chat=False)
        assert tiny.generate(PROMPTS, max_new_tokens=6, chat=False, decoding=Sampling(top_k=1, seed=0)) == greedy
        assert tiny.generate(PROMPTS, max_new_tokens=6, chat=False, decoding=Sampling(top_p=1e-6, seed=0)) == greedy

    def test_stepwise_sees_logits_and_hidden_states(self, tiny: ModelHandle) -> None:
        seen: list[int] = []

        def choose(state: StepState) -> torch.Tensor:
            seen.append(len(state.outputs.hidden_states))
            assert state.generated.shape == (len(PROMPTS), state.step)
            return state.logits.argmax(-1)

        out = tiny.generate(PROMPTS, max_new_tokens=5, chat=False, decoding=Stepwise(choose, output_hidden_states=True))
        assert out == tiny.generate(PROMPTS, max_new_tokens=5, chat=False, decoding=Greedy())
        assert seen == [3] * 5  # embeddings + 2 layers, at every step

    def test_generation_stops_at_eos(self, tiny: ModelHandle) -> None:
        eos = tiny.tokenizer.eos_token_id
        letter = tiny.tokenizer.convert_tokens_to_ids("A")

        def choose(state: StepState) -> torch.Tensor:
            token = eos if state.step == 2 else letter
            return torch.full((state.logits.shape[0],), token)

        assert tiny.generate(["x", "yy"], max_new_tokens=10, chat=False, decoding=Stepwise(choose)) == ["AA", "AA"]


class TestPrompts:
    """Chat templates, batching and validation."""

    def test_chat_uses_the_template(self, tiny: ModelHandle) -> None:
        templated = tiny.tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                                       add_generation_prompt=True)
        assert templated.endswith("<|im_start|>assistant\n")
        assert tiny.generate(["hi"], max_new_tokens=6) == tiny.generate([templated], max_new_tokens=6, chat=False)

    def test_batches_are_split(self, tiny: ModelHandle) -> None:
        whole = tiny.generate(PROMPTS, max_new_tokens=4, chat=False, batch_size=16)
        assert len(tiny.generate(PROMPTS, max_new_tokens=4, chat=False, batch_size=3)) == len(whole) == 4

    @pytest.mark.parametrize("prompts, kwargs", [("one string", {}), ([], {}), (["ok"], {"max_new_tokens": 0}),
                                                 ([1, 2], {})])
    def test_bad_requests_are_typed(self, tiny: ModelHandle, prompts, kwargs) -> None:
        with pytest.raises(InvalidInput):
            tiny.generate(prompts, **kwargs)

    def test_bad_sampling_parameters_are_typed(self) -> None:
        with pytest.raises(InvalidInput):
            Sampling(temperature=0)
