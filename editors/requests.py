"""Edit requests: what every editing method consumes, rendered from KG triples with the relation templates.

A request is one cloze prompt that contains the subject and should be completed by ``target_new``, plus the
probes used to verify and evaluate it (paraphrases, locality, portability). The KG never imports this module:
the controller turns triples into requests here and hands them to a method.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kg.errors import InvalidInput
from kg.schema import Relation


class Probe(BaseModel):
    """A prompt and the answer it should get (``answer`` is compared after the prompt, greedy or teacher-forced)."""

    model_config = ConfigDict(frozen=True)

    prompt: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    #: What the probe checks, for per-kind scores (``"neighbourhood"``, ``"inverse"``, ``"one_hop"``, ...).
    kind: str | None = None


class EditRequest(BaseModel):
    """One fact to write into a model.

    ``prompt`` must contain ``subject``; methods locate the subject's last token there. ``target_new`` is the
    completion to install; for English it starts with a space (``" Rome"``), for Chinese it does not.
    """

    model_config = ConfigDict(frozen=True)

    prompt: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    target_new: str = Field(min_length=1)
    target_true: str | None = None
    rephrase_prompts: tuple[str, ...] = ()
    locality: tuple[Probe, ...] = ()
    portability: tuple[Probe, ...] = ()
    lang: str = "en"
    relation: str | None = None

    @model_validator(mode="after")
    def _subject_in_prompt(self) -> "EditRequest":
        if self.subject not in self.prompt:
            raise ValueError(f"subject {self.subject!r} does not occur in prompt {self.prompt!r}")
        if not self.target_new.strip():
            raise ValueError("target_new is empty")
        return self


def target_text(obj: str, lang: str) -> str:
    """The completion for an object: a leading space in space-separated languages, none in Chinese."""
    return obj if lang == "zh" else " " + obj.strip()


def render_request(relation: Relation, subject: str, obj: str, *, lang: str = "en", target_true: str | None = None,
                   locality: Sequence[Probe] = (), portability: Sequence[Probe] = ()) -> EditRequest:
    """Render ``(subject, relation, obj)`` into a request: the relation's first template is the prompt, the
    others are paraphrases.

    Raises:
        InvalidInput: the relation has no template for ``lang`` or the parts are empty.

    >>> from kg.schema import RelationSchema
    >>> r = render_request(RelationSchema.default().get("capital"), "France", "Rome")
    >>> (r.prompt, r.target_new)
    ('The capital of France is', ' Rome')
    """
    prompts = relation.prompts_for(subject, lang)
    if not prompts:
        raise InvalidInput(f"relation {relation.name!r} has no {lang} prompt template")
    try:
        return EditRequest(prompt=prompts[0], subject=subject, target_new=target_text(obj, lang),
                           target_true=None if target_true is None else target_text(target_true, lang),
                           rephrase_prompts=tuple(prompts[1:]), locality=tuple(locality),
                           portability=tuple(portability), lang=lang, relation=relation.name)
    except ValueError as e:
        raise InvalidInput(f"cannot render an edit request for ({subject}, {relation.name}, {obj}): {e}") from e
