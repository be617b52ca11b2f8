"""``kgedit locate`` and ``kgedit lens``: where the model keeps a fact (causal tracing) and what each layer would
predict (logit lens), on the model the service edits, with every applied edit in it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from api.cli_common import emit, json_option, with_kgedit, working

if TYPE_CHECKING:
    from controller.facade import KGEdit

_BAR_WIDTH = 24


def _bar(value: float, top: float) -> str:
    return "#" * max(0, round(_BAR_WIDTH * value / top)) if top > 0 else ""


def _trace_text(trace: Any) -> str:
    """One line per layer: the indirect effect of each module kind at the last subject token, with a bar for
    the MLP (ROME's and MEMIT's target)."""
    kinds = list(trace.subject_effect)
    top = max((v for k in kinds for v in trace.subject_effect[k]), default=0.0)
    lines = [f"{trace.prompt!r}  subject {trace.subject!r}  answer {trace.answer!r}",
             f"p(answer): clean {trace.p_clean:.3f}, subject corrupted {trace.p_corrupt:.3f} "
             f"({trace.samples} noise samples, restore window {trace.window})",
             "indirect effect of restoring each layer at the last subject token:",
             "layer  " + "  ".join(f"{k:>7}" for k in kinds)]
    for layer in range(trace.num_layers):
        values = [trace.subject_effect[k][layer] for k in kinds]
        bar = _bar(trace.subject_effect["mlp"][layer], top) if "mlp" in kinds else ""
        lines.append(f"{layer:>5}  " + "  ".join(f"{v:7.3f}" for v in values) + f"  {bar}")
    lines.append("peak: " + ", ".join(f"{k} layer {trace.peak[k]}" for k in kinds))
    return "\n".join(lines)


def _lens_text(lens: Any) -> str:
    head = f"{lens.prompt!r}  at token {lens.position} {lens.token!r}"
    lines = [head + (f"  answer {lens.answer!r}" if lens.answer else "")]
    for layer in lens.layers:
        top = ", ".join(f"{t!r} {p:.2f}" for t, p in layer.top)
        answer = f"  answer p={layer.answer_prob:.3f} rank {layer.answer_rank}" if lens.answer else ""
        lines.append(f"{layer.layer:>5}  {top}{answer}")
    return "\n".join(lines)


@click.command("locate")
@click.argument("prompt")
@click.option("--subject", required=True, help="The part of PROMPT to corrupt (must occur in it).")
@click.option("--answer", default=None, help="Answer whose first token is traced (default: the model's own).")
@click.option("--samples", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Noise samples per corrupted run.")
@click.option("--kind", "kinds", type=click.Choice(["mlp", "attn", "hidden"]), multiple=True,
              help="Module kinds to restore (repeatable; default: all three).")
@click.option("--all-tokens", is_flag=True, help="Trace every prompt position, not only the last subject token and "
              "the last token (slower; the JSON then has a row per position).")
@click.option("--model", default=None, help="Registered model (default from settings).")
@json_option
@with_kgedit
def locate_cmd(kge: KGEdit, prompt: str, subject: str, answer: str | None, samples: int, kinds: tuple[str, ...],
               all_tokens: bool, model: str | None, as_json: bool) -> None:
    """Causal tracing: which layers carry the fact PROMPT asks for (Meng et al. 2022)."""
    with working("tracing", not as_json):
        trace = kge.trace(prompt, subject, answer=answer, samples=samples, kinds=list(kinds) or None,
                          tokens="all" if all_tokens else "key", model=model)
    emit(trace, as_json, _trace_text)


@click.command("lens")
@click.argument("prompt")
@click.option("--answer", default=None, help="Also report this answer's probability and rank per layer.")
@click.option("--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--model", default=None, help="Registered model (default from settings).")
@json_option
@with_kgedit
def lens_cmd(kge: KGEdit, prompt: str, answer: str | None, top_k: int, model: str | None, as_json: bool) -> None:
    """Logit lens: each layer's residual stream at PROMPT's last token read through the output head."""
    emit(kge.lens(prompt, answer=answer, top_k=top_k, model=model), as_json, _lens_text)


COMMANDS = (locate_cmd, lens_cmd)
