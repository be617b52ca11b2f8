"""Edit metrics over (model, requests), shared by every method and mode.

Each probe gets two scores, reported side by side:

- ``tf`` (teacher-forced token accuracy): the mean over the answer's tokens of [argmax = gold token], each
  predicted after the prompt and the gold tokens before it (EasyEdit's Reliability; 1 of 3 tokens right = 0.33);
- ``em`` (greedy exact match): the greedy continuation starts with the answer (leading whitespace ignored; an
  answer ending in a letter or digit must end at a word boundary, so " Rome" does not match " Romania").

Metrics: ``reliability`` (edit prompt -> target_new), ``generalization`` (rephrases -> target_new),
``portability`` (probes -> their answers; per kind too: ``portability.inverse`` ...) and ``locality`` (probes
must keep the pre-edit behaviour: the pre-edit model's greedy continuation, as many tokens as the probe's answer,
is the gold sequence; ``tf`` = share of its tokens the edited model still predicts, ``em`` = identical greedy
continuation; a probe that is the prompt or a rephrase of another request scored with it is skipped, since
that edit is meant to change it). ``fluency`` is the weighted n-gram entropy of a greedy generation from the edit
prompt.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from editors._common.tokens import target_ids, tokenizer_lock
from editors.eval.decode import STOPPED, greedy_text, step_argmax
from editors.eval.fluency import fluency
from editors.requests import EditRequest
from kg.errors import InvalidInput
from models import ModelHandle

#: One request's scores: metric -> (tf, em), or "fluency" -> entropy.
Scores = dict[str, tuple[float, float] | float]
METRICS = ("reliability", "generalization", "locality", "portability")
#: Extra greedy tokens beyond the answer's (for the word-boundary check and re-tokenised answers).
SLACK = 2


@dataclass(frozen=True)
class EvalOptions:
    """Scoring knobs: ``fluency_tokens`` greedy tokens for fluency (0 skips it), ``batch_size`` prompts a pass."""

    fluency_tokens: int = 100
    batch_size: int = 16


@dataclass(frozen=True)
class Baseline:
    """Pre-edit greedy continuations (token ids) of a request list's locality probes, in probe order."""

    continuations: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class _Job:
    request: int
    metric: str
    kind: str | None
    prompt: str
    answer: str


def matches(text: str, answer: str) -> bool:
    """Whether generated ``text`` starts with ``answer`` (see the module docstring).

    >>> matches(" Rome, the capital", " Rome"), matches(" Romania", " Rome"), matches("北京市", "北京")
    (True, False, True)
    """
    text, answer = text.lstrip(), answer.strip()
    if not answer or not text.startswith(answer):
        return False
    tail = text[len(answer) : len(answer) + 1]
    return not (answer[-1].isascii() and answer[-1].isalnum() and tail.isascii() and tail.isalnum())


def locality_baseline(handle: ModelHandle, requests: Sequence[EditRequest],
                      options: EvalOptions = EvalOptions()) -> Baseline:
    """The pre-edit greedy continuations of the locality probes of ``requests``; call it on the unedited model
    with the same ``requests`` (same order) later passed to :func:`score`, so both passes batch alike."""
    jobs = [j for j in _jobs(requests) if j.metric == "locality"]
    if not jobs:
        return Baseline(())
    lengths = [_length(handle, j.answer) for j in jobs]
    runs = step_argmax(handle, [j.prompt for j in jobs], max(lengths), batch_size=options.batch_size)
    # Cut each at its answer's length and where the model ended the text.
    return Baseline(tuple(tuple(t for t in ids[:n] if t != STOPPED) for ids, n in zip(runs, lengths)))


def score(handle: ModelHandle, requests: Sequence[EditRequest], baseline: Baseline,
          options: EvalOptions = EvalOptions()) -> list[Scores]:
    """Scores of each request on the model as it is now (see the module docstring)."""
    jobs = _jobs(requests)
    per_job = _score_targets(handle, [j for j in jobs if j.metric != "locality"], options)
    per_job += _score_locality(handle, [j for j in jobs if j.metric == "locality"], baseline, options)
    out: list[Scores] = [{} for _ in requests]
    grouped: dict[tuple[int, str], list[tuple[float, float]]] = defaultdict(list)
    for job, pair in per_job:
        grouped[(job.request, job.metric)].append(pair)
        if job.kind and job.metric in ("locality", "portability"):
            grouped[(job.request, f"{job.metric}.{job.kind}")].append(pair)
    for (i, name), pairs in grouped.items():
        out[i][name] = (statistics.fmean(p[0] for p in pairs), statistics.fmean(p[1] for p in pairs))
    if options.fluency_tokens > 0:
        texts = handle.generate([r.prompt for r in requests], chat=False, max_new_tokens=options.fluency_tokens,
                                batch_size=options.batch_size)
        for scores, text in zip(out, texts):
            scores["fluency"] = fluency(text)
    return out


def summarise(scores: Sequence[Scores]) -> tuple[dict[str, float], dict[str, int]]:
    """Means over requests (``reliability.tf``, ``reliability.em``, ..., ``fluency``) and how many requests
    each mean covers."""
    values: dict[str, list[float]] = defaultdict(list)
    for one in scores:
        for name, value in one.items():
            if isinstance(value, tuple):
                values[f"{name}.tf"].append(value[0])
                values[f"{name}.em"].append(value[1])
            else:
                values[name].append(value)
    means = {k: round(statistics.fmean(v), 4) for k, v in sorted(values.items(), key=lambda kv: _order(kv[0]))}
    return means, {k.removesuffix(".tf"): len(v) for k, v in values.items() if not k.endswith(".em")}


def _order(name: str) -> tuple[int, str]:
    head = name.split(".")[0]
    return (METRICS.index(head) if head in METRICS else len(METRICS), name)


def _jobs(requests: Sequence[EditRequest]) -> list[_Job]:
    # A locality probe that is another request's edit prompt or rephrase is meant to change when both are
    # edited together (batch, sequential): it is left out, or it would count that edit as collateral damage.
    edited = {p for r in requests for p in (r.prompt, *r.rephrase_prompts)}
    jobs = []
    for i, r in enumerate(requests):
        jobs.append(_Job(i, "reliability", None, r.prompt, r.target_new))
        jobs += [_Job(i, "generalization", None, p, r.target_new) for p in r.rephrase_prompts]
        jobs += [_Job(i, "portability", p.kind, p.prompt, p.answer) for p in r.portability]
        jobs += [_Job(i, "locality", p.kind, p.prompt, p.answer) for p in r.locality if p.prompt not in edited]
    return jobs


def _length(handle: ModelHandle, answer: str) -> int:
    with tokenizer_lock(handle):
        return len(target_ids(handle.tokenizer, answer))


def _score_targets(handle: ModelHandle, jobs: list[_Job],
                   options: EvalOptions) -> list[tuple[_Job, tuple[float, float]]]:
    if not jobs:
        return []
    with tokenizer_lock(handle):
        gold = [target_ids(handle.tokenizer, j.answer) for j in jobs]
    prompts = [j.prompt for j in jobs]
    width = max(len(g) for g in gold)
    forced = step_argmax(handle, prompts, width, gold, batch_size=options.batch_size)
    greedy = step_argmax(handle, prompts, width + SLACK, batch_size=options.batch_size)
    out = []
    for job, ids, pred, free in zip(jobs, gold, forced, greedy):
        tf = sum(p == t for p, t in zip(pred, ids)) / len(ids)
        out.append((job, (tf, float(matches(greedy_text(handle, free[: len(ids) + SLACK]), job.answer)))))
    return out


def _score_locality(handle: ModelHandle, jobs: list[_Job], baseline: Baseline,
                    options: EvalOptions) -> list[tuple[_Job, tuple[float, float]]]:
    if not jobs:
        return []
    gold = baseline.continuations
    if len(gold) != len(jobs):
        raise InvalidInput(f"the baseline has {len(gold)} locality continuations for {len(jobs)} probes: make it "
                           "with locality_baseline() on the same requests before editing")
    width = max(len(g) for g in gold)
    forced = step_argmax(handle, [j.prompt for j in jobs], width, gold, batch_size=options.batch_size)
    out = []
    for job, ids, pred in zip(jobs, gold, forced):
        same = [p == t for p, t in zip(pred, ids)]
        out.append((job, (sum(same) / max(1, len(ids)), float(all(same)))))
    return out
