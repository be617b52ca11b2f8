"""Keeping the model in step with the KG: render planned facts into edit requests, apply them through the
ledger, verify the model now answers them, and revert or re-apply the records of earlier edits.

Every record is listed in the edit's intent *before* the ledger applies it, so a crash between the two leaves
nothing unaccounted for (see :mod:`controller.recovery`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence

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


#: Methods tried in order for each role of planned fact, until the model answers the fact's prompt ("" is the
#: edit's own method, e.g. ROME). Measured on SmolLM2 (docs/controller.md): after a ROME edit of the primary fact,
#: ROME installed 10 of 14 inverse prompts but only 4 of 8 famous counterfactuals ("Rome is the capital of" stays
#: "the United Kingdom"), at ~12 s each; GRACE's codebook at a late layer, keyed on the prompt's last token,
#: installed 13 of 14 at ~1 s (it can miss multi-token names: "Brazilia" for "Brazil"). So inverse and derived
#: facts try GRACE first and fall back to the edit's method; a primary fact the edit's method misses falls back
#: to GRACE.
DEFAULT_CHAINS: dict[str, tuple[str, ...]] = {"primary": ("", "grace"), "inverse": ("grace", ""),
                                              "derived": ("grace", "")}


class ModelSync:
    """The model half of an edit, for one model handle and one editing method.

    ``chains`` maps a planned fact's role (primary, inverse, derived) to the methods tried for it, in order (see
    :data:`DEFAULT_CHAINS`); a method's record is kept when the model then answers the fact, else reverted and
    the next method tried. The last method's record is kept either way (the edit's final verification decides).
    """

    def __init__(self, handle: ModelHandle, journal: Journal, schema: RelationSchema, *, method: str,
                 editor: Callable[[str], EditMethod], lang: str = "en",
                 chains: Mapping[str, Sequence[str]] | None = None):
        self.handle = handle
        self.journal = journal
        self.schema = schema
        self.method_name = method
        self.lang = lang
        self._editor = editor
        self._chains = {**DEFAULT_CHAINS, **(chains or {})}
        #: Facts :meth:`apply` found the model answering already (no record of their own), this sync's lifetime.
        self.already: list[PlannedFact] = []

    def chain(self, role: str) -> tuple[str, ...]:
        """The methods tried for facts of ``role``, the edit's method filled in, without repeats."""
        names = [m or self.method_name for m in self._chains.get(role) or ("",)]
        return tuple(dict.fromkeys(names))

    def requests_for(self, facts: Sequence[PlannedFact]) -> list[tuple[PlannedFact, EditRequest]]:
        """One request per fact, rendered with its relation's template in the sync language."""
        return [(f, render_request(self.schema.get(f.relation), f.subject, f.object, lang=self.lang))
                for f in facts]

    def apply(self, edit_id: str, facts: Sequence[PlannedFact], *,
              methods: Sequence[str] | None = None) -> list[ModelRecordRef]:
        """Edit ``facts`` into the model, each with the first method of its chain (or of ``methods``) that the
        model then answers; returns the refs of the records kept (also in the journal, in apply order).

        Inverse and derived facts the model already answers once the facts before them are in (a ROME edit of
        "X was born in Madrid" often carries "X was born in the country of" -> Spain along) get no record of their
        own; they are listed in :attr:`already`.
        """
        groups: dict[tuple[str, ...], list[PlannedFact]] = {}
        for fact in facts:
            groups.setdefault(tuple(methods) if methods else self.chain(fact.role), []).append(fact)
        refs: list[ModelRecordRef] = []
        for chain, todo in groups.items():
            if not methods and any(f.role != "primary" for f in todo):
                check = self.verify([f for f in todo if f.role != "primary"])
                self.already += [f for f in todo if check.passed.get(_label(f))]
                todo = [f for f in todo if f not in self.already]
            for n, method in enumerate(chain):
                if not todo:
                    break
                todo = self._apply_with(edit_id, method, todo, refs, last=n == len(chain) - 1)
        return refs

    def _apply_with(self, edit_id: str, method: str, facts: list[PlannedFact], refs: list[ModelRecordRef], *,
                    last: bool) -> list[PlannedFact]:
        """Apply ``facts`` with one method (one record per fact unless it batches); returns the facts still to
        do: those whose record was reverted because the model did not answer them (never when ``last``)."""
        editor = self._editor(method)
        groups = [facts] if editor.batchable else [[f] for f in facts]
        failed: list[PlannedFact] = []
        for group in groups:
            try:
                ref = self._apply_record(edit_id, editor, method, group)
            except KGEditError as e:  # the method cannot edit these requests (checked before any tensor moved)
                if last:
                    raise
                log.info("%s cannot edit %s (%s); trying the next method", method, list(map(_label, group)), e)
                failed += group
                continue
            if last:
                refs.append(ref)
                continue
            check = self.verify(group)
            missed = [f for f in group if not check.passed[_label(f)]]
            if len(missed) == len(group):
                log.info("%s did not install %s (outputs %s); reverting it", method, list(check.passed),
                         list(check.outputs.values()))
                self.handle.ledger.revert(ref.record_id, cascade=True)  # the newest record: nothing else moves
                self.journal.remove_record(edit_id, ref.record_id)
            else:
                refs.append(ref)
            failed += missed
        return failed

    def _apply_record(self, edit_id: str, editor: EditMethod, method: str,
                      group: Sequence[PlannedFact]) -> ModelRecordRef:
        record = editor.apply(self.handle, [request for _, request in self.requests_for(group)])
        ref = ModelRecordRef(record_id=record.id, model=self.handle.name, method=method,
                             triples=[(f.subject, f.relation, f.object) for f in group])
        self.journal.add_record(edit_id, ref)  # listed before it is applied: recovery can find it
        self.handle.ledger.apply(record)
        applied = ref.model_copy(update={"applied": True})
        self.journal.add_record(edit_id, applied)
        return applied

    def verify(self, facts: Sequence[PlannedFact]) -> Verification:
        """Greedy-decode each fact's prompt; it passes when the output gives the target (see :func:`_matches`)."""
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
        fresh = ModelRecordRef(record_id=copy.id, model=ref.model, triples=ref.triples, method=ref.method)
        try:
            self.journal.add_record(edit_id, fresh)
            self.handle.ledger.apply(copy)  # refuses (LedgerDrift) unless the tensors are as the record expects
            applied = fresh.model_copy(update={"applied": True})
            self.journal.add_record(edit_id, applied)
            return applied
        except KGEditError as e:
            log.info("record %s cannot be re-applied as is (%s); re-editing its facts", ref.record_id, e)
            facts = [PlannedFact(subject=s, relation=r, object=o) for s, r, o in ref.triples]
            return self.apply(edit_id, facts, methods=[ref.method or self.method_name])[0]


def _label(fact: PlannedFact) -> str:
    return f"({fact.subject}, {fact.relation}, {fact.object})"


def _matches(output: str, target: str) -> bool:
    """Whether a greedy output gives the target: its first words are the target's words (case and trailing
    punctuation aside), or, for text without spaces (Chinese), it starts with the target. A longer word is not the
    target: "Brazilia" does not give "Brazil", "Kingstown" does not give "Kingston"."""
    want = [_word(w) for w in target.split()]
    got = [_word(w) for w in output.split()]
    if want and got[: len(want)] == want:
        return True
    text, goal = output.strip(), target.strip()
    if not goal or not text.startswith(goal):
        return False
    rest = text[len(goal):]
    return not rest or not (rest[0].isalnum() and goal[-1].isascii())


def _word(word: str) -> str:
    return word.strip(".,;:!?\"'()").casefold()


def _position(handle: ModelHandle, record_id: str) -> int:
    applied = list(handle.ledger.applied)
    return applied.index(record_id) if record_id in applied else -1
