"""Readers for edit datasets in the shapes EasyEdit, KnowEdit and CKnowEdit publish, into :class:`EditRequest`.

A file is a JSON list of records (or JSON lines; ``{"data": [...]}`` is accepted too). Fields, with the
alternatives accepted (the first present wins):

- prompt: ``prompt`` | ``src`` (ZsRE); target: ``target_new`` | ``alt`` (a list: its first element);
- old answer: ``ground_truth`` | ``target_true`` | ``target_old`` (CKnowEdit) | ``answers``;
- subject: ``subject``; without one (CKnowEdit has none) the whole prompt is the subject, so locate-then-edit
  methods edit at the prompt's last token;
- rephrases: ``rephrase_prompts`` | ``rephrase_prompt`` | ``rephrase`` (a string or a list);
- ``locality`` / ``portability``: a mapping ``{kind: {"prompt": str | [str], "ground_truth": str | [str]}}``
  (EasyEdit), ``{kind: [{"prompt", "ground_truth"}]}`` (KnowEdit), or a list ``[{"prompt", "answer"}]``
  (CKnowEdit); ZsRE's ``loc`` / ``loc_ans`` too. An answer given as a list (KnowEdit's aliases) uses its first
  element. The kind is the mapping key, lower-cased ("Relation_Specificity" -> "relation_specificity").

The language is Chinese when the prompt contains CJK characters (targets then get no leading space), else
English (targets get one, as EasyEdit puts ``" "`` between prompt and target).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from editors.requests import EditRequest, Probe, target_text
from kg.errors import InvalidInput, NotFound

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PROMPT = ("prompt", "src")
_TARGET = ("target_new", "alt")
_TRUE = ("ground_truth", "target_true", "target_old", "answers")
_REPHRASE = ("rephrase_prompts", "rephrase_prompt", "rephrase")
_ANSWER = ("ground_truth", "answer", "target", "target_new")


def load_requests(path: str | Path, *, limit: int | None = None) -> list[EditRequest]:
    """Edit requests (with probes) from an EasyEdit / KnowEdit / CKnowEdit JSON file.

    Raises:
        NotFound: no such file.
        InvalidInput: not JSON, not a list of records, or a malformed record (the message names the record
            index and the field).
    """
    records = _records(Path(path))
    out = []
    for i, record in enumerate(records[:limit] if limit else records):
        out.append(parse_record(record, where=f"{path}: record {i}"))
    return out


def parse_record(record: Any, *, where: str = "record") -> EditRequest:
    """One record as an :class:`EditRequest` (see the module docstring).

    Raises:
        InvalidInput: naming ``where`` and the bad field.
    """
    if not isinstance(record, Mapping):
        raise InvalidInput(f"{where}: expected an object, got {type(record).__name__}")
    prompt = _text(record, _PROMPT, where, required=True)
    lang = "zh" if _CJK.search(prompt) else "en"
    target = _text(record, _TARGET, where, required=True)
    true = _text(record, _TRUE, where, required=False)
    subject = _text(record, ("subject",), where, required=False) or prompt
    if subject not in prompt:
        raise InvalidInput(f"{where}: field 'subject': {subject!r} does not occur in the prompt {prompt!r}")
    try:
        return EditRequest(prompt=prompt, subject=subject, target_new=target_text(target, lang),
                           target_true=None if true is None else target_text(true, lang),
                           rephrase_prompts=tuple(_strings(record, _REPHRASE, where)),
                           locality=_probes(record, "locality", where, lang),
                           portability=_probes(record, "portability", where, lang), lang=lang)
    except ValidationError as e:
        raise InvalidInput(f"{where}: {e.errors()[0]['msg']}") from e


def _records(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise NotFound(f"no dataset file at {path}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(f"{path}: unreadable: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = _json_lines(path, text)
    if isinstance(data, Mapping) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a JSON list of edit records, got {type(data).__name__}")
    return data


def _json_lines(path: Path, text: str) -> list[Any]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InvalidInput(f"{path}: neither JSON nor JSON lines (line {n}: {e.msg})") from e
    return rows


def _first(value: Any) -> Any:
    """A list's first element (recursively: KnowEdit nests alias lists), anything else unchanged."""
    while isinstance(value, list) and value:
        value = value[0]
    return value


def _text(record: Mapping[str, Any], names: tuple[str, ...], where: str, *, required: bool) -> str | None:
    for name in names:
        if name in record and record[name] is not None:
            value = _first(record[name])
            if isinstance(value, Mapping) and isinstance(value.get("str"), str):  # CounterFact's {"str": ...}
                value = value["str"]
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{where}: field {name!r} must be a non-empty string, got {record[name]!r:.80}")
            return value
    if required:
        raise InvalidInput(f"{where}: missing field {' / '.join(repr(n) for n in names)}")
    return None


def _strings(record: Mapping[str, Any], names: tuple[str, ...], where: str) -> list[str]:
    for name in names:
        value = record.get(name)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
            raise InvalidInput(f"{where}: field {name!r} must be a string or a list of non-empty strings")
        return items
    return []


def _probes(record: Mapping[str, Any], field: str, where: str, lang: str) -> tuple[Probe, ...]:
    value = record.get(field)
    if value is None and field == "locality" and "loc" in record:  # ZsRE (MEND) shape
        value = [{"prompt": record["loc"], "answer": record.get("loc_ans")}]
    if value is None or value == {} or value == []:
        return ()
    groups: list[tuple[str | None, Any]]
    if isinstance(value, Mapping):
        groups = [(str(kind).lower(), group) for kind, group in value.items()]
    elif isinstance(value, list):
        groups = [(None, value)]
    else:
        raise InvalidInput(f"{where}: field {field!r} must be an object or a list, got {type(value).__name__}")
    out = []
    for kind, group in groups:
        label = f"{field}.{kind}" if kind else field
        for j, (prompt, answer) in enumerate(_pairs(group, f"{where}: field {label!r}")):
            out.append(_probe(prompt, answer, kind, lang, f"{where}: field {label!r} item {j}"))
    return tuple(out)


def _pairs(group: Any, where: str) -> list[tuple[Any, Any]]:
    """(prompt, answer) pairs from ``{"prompt": [..], "ground_truth": [..]}`` or a list of such objects."""
    if isinstance(group, Mapping):
        prompts, answers = group.get("prompt"), _answer(group)
        if isinstance(prompts, list):
            answers = answers if isinstance(answers, list) else [answers] * len(prompts)
            if len(answers) != len(prompts):
                raise InvalidInput(f"{where}: {len(prompts)} prompts but {len(answers)} answers")
            return list(zip(prompts, answers))
        return [(prompts, answers)]
    if isinstance(group, list):
        pairs = []
        for j, item in enumerate(group):
            if not isinstance(item, Mapping):
                raise InvalidInput(f"{where} item {j}: expected an object with 'prompt' and an answer")
            pairs.append((item.get("prompt"), _answer(item)))
        return pairs
    raise InvalidInput(f"{where}: expected an object or a list of objects, got {type(group).__name__}")


def _answer(item: Mapping[str, Any]) -> Any:
    return next((item[k] for k in _ANSWER if item.get(k) is not None), None)


def _probe(prompt: Any, answer: Any, kind: str | None, lang: str, where: str) -> Probe:
    prompt, answer = _first(prompt), _first(answer)
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidInput(f"{where}: 'prompt' must be a non-empty string, got {prompt!r:.80}")
    if not isinstance(answer, str) or not answer.strip():
        raise InvalidInput(f"{where}: the answer ('ground_truth' or 'answer') must be a non-empty string, "
                           f"got {answer!r:.80}")
    return Probe(prompt=prompt, answer=target_text(answer, lang), kind=kind)
