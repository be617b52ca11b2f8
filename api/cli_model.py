"""``kgedit interpret | submit | ask | generate | models``: natural language and the model from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from api.cli_common import checked, emit, json_option, outcome_text, with_kgedit, working

if TYPE_CHECKING:
    from controller.facade import KGEdit


def _triple_text(t: Any) -> str:
    obj = "?" if t.object is None else t.object.text
    return f"{t.subject.text} —{t.relation.name}→ {obj}"


def _interpretation_text(reading: Any) -> str:
    lines = [f"{i.kind}: " + ("; ".join(_triple_text(t) for t in i.triples) or i.question or
                             (i.query.cypher if i.query else "") or str(i.rollback or ""))
             for i in reading.intents]
    for c in reading.clarifications:
        options = ", ".join(x.label for x in c.candidates) or "no candidates"
        lines.append(f"? {c.question} ({options})")
    return "\n".join(lines) or "nothing understood"


@click.command("interpret")
@click.argument("text")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language (default: detected).")
@json_option
@with_kgedit
def interpret_cmd(kge: KGEdit, text: str, lang: str | None, as_json: bool) -> None:
    """Show what TEXT would do (intents, triples, clarifications) without applying anything."""
    emit(kge.interpret(text, lang), as_json, _interpretation_text)


def _answer_text(answers: list[Any]) -> str:
    lines = []
    for a in answers:
        outcomes = [a.outcome] if a.outcome is not None else list(a.outcomes)
        lines += [outcome_text(o) for o in outcomes]
        if a.rows is not None:
            lines += [str(r) for r in a.rows]
        if a.text:
            lines.append(a.text)
    return "\n".join(lines)


@click.command("submit")
@click.argument("text")
@click.option("--method", default=None, help="Knowledge-editing method for edits (default from settings).")
@json_option
@with_kgedit
def submit_cmd(kge: KGEdit, text: str, method: str | None, as_json: bool) -> None:
    """Carry out a natural-language message: edits, forgets, rollbacks, queries and questions."""
    with working("working", not as_json):
        answers = kge.submit(text, method=method)
    emit(answers, as_json, _answer_text)


@click.command("ask")
@click.argument("question")
@json_option
@with_kgedit
def ask_cmd(kge: KGEdit, question: str, as_json: bool) -> None:
    """Answer QUESTION with the model, grounded in the KG's current facts about what it mentions."""
    with working("answering", not as_json):
        answer = kge.ask(question)
    emit({"question": question, "answer": answer}, as_json, lambda d: d["answer"])


@click.command("generate")
@click.argument("prompts", nargs=-1, required=True)
@click.option("--max-new-tokens", type=click.IntRange(1, 512), default=32, show_default=True)
@click.option("--decoding", type=click.Choice(["greedy", "sampling", "beam"]), default="greedy", show_default=True)
@click.option("--temperature", type=float, default=1.0, show_default=True, help="Sampling only.")
@click.option("--top-p", type=float, default=1.0, show_default=True, help="Sampling only.")
@click.option("--top-k", type=int, default=0, show_default=True, help="Sampling only (0: off).")
@click.option("--seed", type=int, default=None, help="Sampling only: makes the output reproducible.")
@click.option("--num-beams", type=int, default=4, show_default=True, help="Beam search only.")
@click.option("--chat/--raw", default=False, show_default=True,
              help="Wrap each prompt as a chat turn, or continue it as raw text.")
@click.option("--model", default=None, help="Registered model (default from settings).")
@json_option
@with_kgedit
def generate_cmd(kge: KGEdit, prompts: tuple[str, ...], max_new_tokens: int, decoding: str, temperature: float,
                 top_p: float, top_k: int, seed: int | None, num_beams: int, chat: bool, model: str | None,
                 as_json: bool) -> None:
    """Continue each of PROMPTS with the model (ungrounded; see `kgedit ask` for KG-grounded answers)."""
    from api.generation import DecodingOptions

    options = checked(lambda: _decoding(DecodingOptions, decoding=decoding, temperature=temperature, top_p=top_p,
                                        top_k=top_k, seed=seed, num_beams=num_beams))
    with working("generating", not as_json):
        outputs = kge.model(model).generate(list(prompts), max_new_tokens=max_new_tokens, chat=chat,
                                            decoding=options.strategy())
    emit([{"prompt": p, "output": o} for p, o in zip(prompts, outputs)], as_json,
         lambda rows: "\n".join(f"{r['prompt']}{r['output']}" if not chat else r["output"] for r in rows))


def _decoding(cls: type, **values: Any) -> Any:
    from pydantic import ValidationError

    try:
        return cls(**values)
    except ValidationError as e:
        problems = "; ".join(f"--{'-'.join(map(str, err['loc'])).replace('_', '-')}: {err['msg']}"
                             for err in e.errors())
        raise click.BadParameter(problems) from None


@click.group("models")
def models_group() -> None:
    """The model registry: registered models and each model's edit ledger."""


def _model_line(m: dict[str, Any]) -> str:
    size = f"{m['param_bytes'] / 2**20:.0f} MiB" if m.get("param_bytes") else "-"
    return f"{m['name']:<24} {'default' if m['default'] else '':<8} {size:>9}  {m['source']}"


@models_group.command("list")
@json_option
@with_kgedit
def models_list(kge: KGEdit, as_json: bool) -> None:
    """Registered models (the size is known once a model has been loaded in this process)."""
    emit(kge.models(), as_json, lambda ms: "\n".join(map(_model_line, ms)))


@models_group.command("register")
@click.argument("name")
@click.argument("source", type=click.Path(exists=True))
@json_option
@with_kgedit
def models_register(kge: KGEdit, name: str, source: str, as_json: bool) -> None:
    """Register SOURCE (a Hugging Face folder, a .safetensors or a .gguf file) as NAME; loads nothing."""
    kge.registry.register(name, source)
    emit(next(m for m in kge.models() if m["name"] == name), as_json, lambda m: f"registered {_model_line(m)}")


def _lineage_text(d: dict[str, Any]) -> str:
    lines = [f"{d['model']}: base {d['base_checksum'][:16]}, state {d['state_id'][:16]}, "
             f"{len(d['applied'])} applied of {len(d['records'])} records"]
    lines += [f"  {r['id']}  {r['status']:<8} {r['kind']:<7} edit={r['edit_id'] or '-'}  "
              f"{', '.join(r['touched'])[:80]}" for r in d["records"]]
    return "\n".join(lines)


@models_group.command("lineage")
@click.argument("name", required=False)
@json_option
@with_kgedit
def models_lineage(kge: KGEdit, name: str | None, as_json: bool) -> None:
    """How NAME's weights (default model if omitted) came to be: its ledger records, oldest first."""
    emit(kge.lineage(name), as_json, _lineage_text)


@models_group.command("prepare")
@click.option("--method", default=None, help="Editing method (default from settings: rome).")
@json_option
@with_kgedit
def models_prepare(kge: KGEdit, method: str | None, as_json: bool) -> None:
    """Compute and cache an editing method's statistics on the default model now, so the first edit (and the
    service) does not wait for them. Shares the cache of KGEDIT_CACHE_DIR when set."""
    prepared = kge.prepare_editor(method)
    emit(prepared, as_json, lambda p: (f"{p['method']}: statistics of layers {p['layers'] or '-'} "
                                       f"({p['stats_samples'] or 0} samples) ready in {p['seconds']} s"))


COMMANDS = (interpret_cmd, submit_cmd, ask_cmd, generate_cmd, models_group)
