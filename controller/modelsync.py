"""Keeping the model in step with the KG: render planned facts into edit requests, apply them through the
ledger, verify the model now answers them, and revert or re-apply the records of earlier edits.

Every record is listed in the edit's intent *before* the ledger applies it, so a crash between the two leaves
nothing unaccounted for (see :mod:`controller.recovery`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

from controller.journal import Journal, ModelRecordRef
from controller.outcomes import EditFailed  # noqa: F401  (re-exported)
from controller.plan import PlannedFact
from editors import EditMethod, EditRequest, render_request
from kg.errors import KGEditError
from kg.schema import RelationSchema
from models import ModelHandle
from models.ledger.records import new_record_id

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Verification:
    """Greedy check of each request: did the model produce the target after the prompt?"""

    outputs: dict[str, str]
    passed: dict[str, bool]

    @property
    def rate(self) -> float:
        return sum(self.passed.values()) / len(self.passed) if self.passed else 1.0


class ModelSync:
    """The model half of an edit, for one model handle and one editing method."""

    def __init__(self, handle: ModelHandle, journal: Journal, schema: RelationSchema, *, method: str,
                 editor: Callable[[str], EditMethod], lang: str = "en"):
        self.handle = handle
        self.journal = journal
        self.schema = schema
        self.method_name = method
        self.lang = lang
        self._editor = editor

    def requests_for(self, facts: Sequence[PlannedFact]) -> list[tuple[PlannedFact, EditRequest]]:
        """One request per fact, rendered with its relation's template in the sync language."""
        return [(f, render_request(self.schema.get(f.relation), f.subject, f.object, lang=self.lang))
                for f in facts]

    def apply(self, edit_id: str, facts: Sequence[PlannedFact], *, method: str | None = None) -> list[ModelRecordRef]:
        """Edit ``facts`` into the model; returns the refs of the applied records (also in the journal)."""
        pairs = self.requests_for(facts)
        editor = self._editor(method or self.method_name)
        groups = [pairs] if editor.batchable else [[p] for p in pairs]
        refs = []
        for group in groups:
            record = editor.apply(self.handle, [request for _, request in group])
            ref = ModelRecordRef(record_id=record.id, model=self.handle.name,
                                 triples=[(f.subject, f.relation, f.object) for f, _ in group])
            self.journal.add_record(edit_id, ref)  # listed before it is applied: recovery can find it
            self.handle.ledger.apply(record)
            refs.append(ref.model_copy(update={"applied": True}))
            self.journal.add_record(edit_id, refs[-1])
        return refs

    def verify(self, facts: Sequence[PlannedFact]) -> Verification:
        """Greedy-decode each fact's prompt; it passes when the output starts with the target's first word."""
        pairs = self.requests_for(facts)
        if not pairs:
            return Verification({}, {})
        prompts = [r.prompt for _, r in pairs]
        longest = max(len(self.handle.tokenizer(r.target_new)["input_ids"]) for _, r in pairs)
        outputs = self.handle.generate(prompts, chat=False, max_new_tokens=longest + 2)
        passed = {}
        for (fact, request), output in zip(pairs, outputs):
            passed[_label(fact)] = _matches(output, request.target_new)
        return Verification(dict(zip(map(_label, (f for f, _ in pairs)), outputs)), passed)

    def revert(self, refs: Sequence[ModelRecordRef]) -> list[str]:
        """Revert applied records (and any later records overlapping them); returns every id reverted."""
        reverted: list[str] = []
        applied = set(self.handle.ledger.applied)
        for ref in sorted(refs, key=lambda r: _position(self.handle, r.record_id), reverse=True):
            if ref.record_id in applied and ref.record_id not in reverted:
                reverted += self.handle.ledger.revert(ref.record_id, cascade=True)
        return reverted

    def reapply(self, ref: ModelRecordRef, edit_id: str) -> ModelRecordRef:
        """Put a reverted record's change back: the same tensors if nothing moved underneath, else re-edit."""
        old = self.handle.ledger.record(ref.record_id)
        copy = dataclasses.replace(old, id=new_record_id())
        fresh = ModelRecordRef(record_id=copy.id, model=ref.model, triples=ref.triples)
        try:
            self.journal.add_record(edit_id, fresh)
            self.handle.ledger.apply(copy)  # refuses (LedgerDrift) unless the tensors are as the record expects
            applied = fresh.model_copy(update={"applied": True})
            self.journal.add_record(edit_id, applied)
            return applied
        except KGEditError as e:
            log.info("record %s cannot be re-applied as is (%s); re-editing its facts", ref.record_id, e)
            facts = [PlannedFact(subject=s, relation=r, object=o) for s, r, o in ref.triples]
            return self.apply(edit_id, facts)[0]


def _label(fact: PlannedFact) -> str:
    return f"({fact.subject}, {fact.relation}, {fact.object})"


def _matches(output: str, target: str) -> bool:
    want = target.strip().split()
    got = output.strip().split()
    if not want:
        return False
    if len(want[0]) == len(target.strip()) and not got:  # a single CJK run: compare characters
        return False
    first = want[0].strip(".,;:!?\"'").casefold()
    return bool(got) and got[0].strip(".,;:!?\"'").casefold().startswith(first) or output.strip().startswith(
        target.strip())


def _position(handle: ModelHandle, record_id: str) -> int:
    applied = list(handle.ledger.applied)
    return applied.index(record_id) if record_id in applied else -1
