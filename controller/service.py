"""The OneEdit controller: the only place that sees both the KG and the model.

An edit runs as short named steps (validate -> guard -> plan -> intent -> model -> verify -> commit), one
writer at a time. A failure at any step leaves KG and model as they were; a crash is finished or undone on the
next start from the intent record (see :meth:`Controller.recover`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from controller.crash import crash_point
from controller.journal import Intent, Journal, ModelRecordRef, Status, new_edit_id
from controller.outcomes import EditFailed, EditOutcome, EditRefused
from controller.plan import EditPlan, PlannedFact, plan_edit, plan_forget
from controller.policy import EditPolicy
from controller.queue import WriterQueue
from controller.users import Role, User
from kg.errors import Conflict, InvalidInput
from kg.records import CommitKind, CommitResult, TripleIn
from kg.store import GraphStore

if TYPE_CHECKING:  # the model stack (torch) loads only when a model edit runs
    from controller.modelsync import ModelSync

log = logging.getLogger(__name__)

Triple = tuple[str, str, str]


class Controller:
    """Edits, forgets, reviews and rollbacks over one graph store and (optionally) one model.

    ``model_sync`` builds the :class:`ModelSync` for a method name; None keeps the model out of it (KG only).
    """

    def __init__(self, *, store: GraphStore, journal: Journal, policy: EditPolicy,
                 model_sync: Callable[[str | None], ModelSync] | None = None):
        self.store = store
        self.journal = journal
        self.policy = policy
        self._model_sync = model_sync
        self.queue = WriterQueue()

    # -- edits -----------------------------------------------------------------------------------------------

    def edit(self, triples: Sequence[Triple], *, user: User, method: str | None = None, text: str | None = None,
             expected_version: int | None = None) -> EditOutcome:
        """Add or replace facts in the KG and the model.

        Raises:
            Forbidden: the user may not edit. EditRefused: the guard refused it (logged).
            UnknownRelation / InvalidInput: bad triples. Conflict: the KG is not at ``expected_version``.
            EditFailed: the model did not take the edit (nothing changed).
        """
        user.require(Role.EDITOR, "edit")
        request = {"triples": [list(t) for t in triples], "method": method, "text": text}
        with self.queue.turn():
            self._check_version(expected_version)
            plan = plan_edit(self.store, triples)
            return self._screen_and_run(user, "edit", request, plan, method, text, triples)

    def forget(self, triples: Sequence[tuple[str, str, str | None]], *, user: User, text: str | None = None,
               expected_version: int | None = None) -> EditOutcome:
        """Retire facts (and their inverses) and revert the model edits that installed them."""
        user.require(Role.EDITOR, "forget facts")
        request = {"triples": [list(t) for t in triples], "text": text}
        with self.queue.turn():
            self._check_version(expected_version)
            plan = plan_forget(self.store, triples)
            return self._screen_and_run(user, "forget", request, plan, None, text, triples)

    def approve(self, edit_id: str, *, reviewer: User) -> EditOutcome:
        """Apply a quarantined edit, re-planned against the current KG."""
        reviewer.require(Role.REVIEWER, "approve quarantined edits")
        with self.queue.turn():
            intent = self._quarantined(edit_id)
            triples = [tuple(t) for t in intent.request["triples"]]
            plan = (plan_edit if intent.kind == "edit" else plan_forget)(self.store, triples)
            self.journal.update(edit_id, status=Status.PENDING, plan=plan.model_dump(mode="json"),
                                reasons=[*intent.reasons, f"approved by {reviewer.name}"])
            return self._run(edit_id, intent.user, intent.kind, plan, intent.request.get("method"))

    def reject(self, edit_id: str, *, reviewer: User, reason: str = "") -> Intent:
        reviewer.require(Role.REVIEWER, "reject quarantined edits")
        intent = self._quarantined(edit_id)
        return self.journal.update(edit_id, status=Status.REJECTED,
                                   reasons=[*intent.reasons, f"rejected by {reviewer.name}: {reason}".rstrip(": ")])

    # -- rollback --------------------------------------------------------------------------------------------

    def rollback_edit(self, edit_id: str, *, user: User) -> EditOutcome:
        """Undo one committed edit in the model and the KG (later unrelated edits stay)."""
        with self.queue.turn():
            intent = self.journal.get(edit_id)
            if intent.user != user.name:
                user.require(Role.REVIEWER, "roll back other users' edits")
            user.require(Role.EDITOR, "roll back edits")
            if intent.status != Status.COMMITTED or intent.kg_version is None:
                raise InvalidInput(f"edit {edit_id} is {intent.status}; only committed edits can be rolled back")
            if (intent.result or {}).get("rolled_back_by"):
                raise Conflict(f"edit {edit_id} was already rolled back by {intent.result['rolled_back_by']}")
            return self._rollback(user, targets=[intent], kg=lambda eid: self.store.rollback_commit(
                intent.kg_version, author=user.name, edit_id=eid, message=f"roll back edit {edit_id}"))

    def rollback_to(self, version: int, *, user: User) -> EditOutcome:
        """Return KG and model to how they were at ``version``."""
        user.require(Role.ADMIN, "roll back to a version")
        with self.queue.turn():
            self.store.resolve_version(version)
            later = [i for i in self.journal.list(status=Status.COMMITTED)
                     if i.kg_version is not None and i.kg_version > version]
            return self._rollback(user, targets=later, kg=lambda eid: self.store.rollback_to(
                version, author=user.name, edit_id=eid))

    def rollback_user(self, name: str, *, since: str, user: User) -> list[EditOutcome]:
        """Undo every committed edit by ``name`` since an ISO time, newest first."""
        if name != user.name:
            user.require(Role.REVIEWER, "roll back other users' edits")
        outcomes = []
        for intent in self.journal.list(user=name, since=since, status=Status.COMMITTED):
            if intent.kind in ("edit", "forget") and not (intent.result or {}).get("rolled_back_by"):
                outcomes.append(self.rollback_edit(intent.edit_id, user=user))
        return outcomes

    # -- recovery --------------------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Finish or undo edits a crash interrupted; returns their ids. Safe to run at every start."""
        done = []
        for intent in self.journal.unfinished():
            if self.store.commits_of_edit(intent.edit_id):
                self._finish_committed(intent)
            else:
                self._undo_model(intent)
                self.journal.update(intent.edit_id, status=Status.ABORTED,
                                    reasons=[*intent.reasons, "interrupted; undone on restart"])
            done.append(intent.edit_id)
        return done

    # -- steps -----------------------------------------------------------------------------------------------

    def _screen_and_run(self, user: User, kind: str, request: dict[str, Any], plan: EditPlan, method: str | None,
                        text: str | None, triples: Sequence) -> EditOutcome:
        edit_id = new_edit_id()
        verdict = self.policy.check(user, triples, plan, text)
        if verdict.action == "refuse":
            self.journal.open(edit_id=edit_id, user=user.name, kind=kind, request=request, status=Status.REFUSED,
                              reasons=verdict.reasons)
            log.warning("edit %s by %s refused: %s", edit_id, user.name, verdict.reasons)
            raise EditRefused(edit_id, verdict.reasons)
        if verdict.action == "quarantine":
            self.journal.open(edit_id=edit_id, user=user.name, kind=kind, request=request,
                              status=Status.QUARANTINED, plan=plan.model_dump(mode="json"), reasons=verdict.reasons)
            log.info("edit %s by %s quarantined: %s", edit_id, user.name, verdict.reasons)
            return EditOutcome(edit_id=edit_id, status="quarantined", kind=kind, reasons=verdict.reasons,
                               notes=plan.notes)
        if plan.empty:
            return EditOutcome(edit_id=edit_id, status="unchanged", kind=kind, version=self.store.head,
                               unchanged=plan.unchanged, notes=["every fact is already in the KG"])
        self.journal.open(edit_id=edit_id, user=user.name, kind=kind, request=request, status=Status.PENDING,
                          plan=plan.model_dump(mode="json"))
        return self._run(edit_id, user.name, kind, plan, method)

    def _run(self, edit_id: str, author: str, kind: str, plan: EditPlan, method: str | None) -> EditOutcome:
        crash_point("after_intent")
        sync = self._model_sync(method) if self._model_sync else None
        model_report = None
        try:
            if sync is not None:
                model_report = self._edit_model(sync, edit_id, plan)
            result = self.store.commit(add=[_triple_in(f) for f in plan.add], retire=plan.retire, author=author,
                                       kind=CommitKind(kind), edit_id=edit_id, message=f"{kind} {edit_id}")
        except BaseException as e:
            if sync is not None:
                self._undo_model(self.journal.get(edit_id), sync)
            self.journal.update(edit_id, status=Status.ABORTED, reasons=[f"{type(e).__name__}: {e}"])
            raise
        crash_point("after_kg_commit")
        state = sync.handle.state_id if sync else None
        self.journal.update(edit_id, status=Status.COMMITTED, kg_version=result.commit.version, model_state=state,
                            result={**(self.journal.get(edit_id).result or {}), "model": model_report})
        return _outcome(edit_id, kind, plan, result, model_report)

    def _edit_model(self, sync: ModelSync, edit_id: str, plan: EditPlan) -> dict[str, Any]:
        """Revert what installed the retired facts, apply the new facts, re-apply collateral, verify."""
        owners = {ref.record_id: (eid, ref) for fact in plan.retire
                  for eid, ref in self.journal.records_installing(fact.key)}
        self.journal.update(edit_id, result={"reverted": list(owners)})
        reverted = sync.revert([ref for _, ref in owners.values()])
        for rid in reverted:
            owner = owners.get(rid) or self.journal.owner_of(rid)
            if owner:
                self.journal.set_applied(owner[0], rid, False)
        self.journal.update(edit_id, result={"reverted": reverted})
        crash_point("after_conflict_revert")
        refs = sync.apply(edit_id, plan.add) if plan.add else []
        crash_point("after_model_apply")
        collateral = filter(None, (self.journal.owner_of(rid) for rid in reverted if rid not in owners))
        reapplied = [self._reapply(sync, eid, ref) for eid, ref in self._in_apply_order(collateral)]
        check = sync.verify(plan.add)  # every planned fact's prompt: primary, inverse and derived
        crash_point("after_verify")
        if check.rate < 1.0:
            failed = [k for k, ok in check.passed.items() if not ok]
            raise EditFailed(f"the model did not take {', '.join(failed)}; outputs: "
                             f"{ {k: check.outputs[k] for k in failed} }")
        primary = {_label(f) for f in plan.add if f.role == "primary"}
        methods = {**{_label(f): "already answered" for f in sync.already},
                   **{_label_triple(t): r.method for r in refs for t in r.triples}}
        return {"method": sync.method_name, "applied": [r.record_id for r in refs], "reverted": reverted,
                "reapplied": reapplied, "verified": {k: v for k, v in check.passed.items() if k in primary},
                "augmented": {k: v for k, v in check.passed.items() if k not in primary},
                "methods": methods, "outputs": check.outputs, "state": sync.handle.state_id}

    def _reapply(self, sync: ModelSync, edit_id: str, ref: ModelRecordRef) -> str:
        new = sync.reapply(ref, edit_id)
        self.journal.set_applied(edit_id, ref.record_id, False)
        return new.record_id

    def _rollback(self, user: User, *, targets: list[Intent], kg: Callable[[str], CommitResult]) -> EditOutcome:
        """Revert the targets' records newest first, write the KG rollback, re-install restored facts.

        The model is only loaded when a record has to move, so KG-only histories roll back without it.
        """
        edit_id = new_edit_id()
        self.journal.open(edit_id=edit_id, user=user.name, kind="rollback", status=Status.PENDING,
                          request={"targets": [t.edit_id for t in targets]})
        refs = [r for t in targets for r in t.records if r.applied]
        sync = self._model_sync(None) if self._model_sync and refs else None
        reverted: list[str] = []
        try:
            if sync is not None:
                self.journal.update(edit_id, result={"reverted": [r.record_id for r in refs]})
                reverted = sync.revert(refs)
                for rid in reverted:
                    owner = self.journal.owner_of(rid)
                    if owner:
                        self.journal.set_applied(owner[0], rid, False)
                crash_point("after_rollback_model")
            result = kg(edit_id)
        except BaseException:
            if sync is not None:
                self._undo_model(self.journal.get(edit_id), sync)
            self.journal.update(edit_id, status=Status.ABORTED)
            raise
        todo = self._facts_to_restore(result, reverted, targets)
        if todo and sync is None and self._model_sync:
            sync = self._model_sync(None)
        reapplied = [self._reapply(sync, eid, ref) for eid, ref in todo] if sync else []
        for target in targets:
            self.journal.update(target.edit_id, result={**(target.result or {}), "rolled_back_by": edit_id})
        report = {"reverted": reverted, "reapplied": reapplied, "state": sync.handle.state_id} if sync else None
        self.journal.update(edit_id, status=Status.COMMITTED, kg_version=result.commit.version,
                            model_state=sync.handle.state_id if sync else None, result={"model": report})
        return EditOutcome(edit_id=edit_id, status="committed", kind="rollback", version=result.commit.version,
                           added=[_planned(f) for f in result.added], retired=result.retired, model=report)

    def _facts_to_restore(self, result: CommitResult, reverted: list[str],
                          targets: list[Intent]) -> list[tuple[str, ModelRecordRef]]:
        """Records to re-install, oldest edit first: those of facts the rollback brought back, and other edits'
        records the revert took with it."""
        target_ids = {t.edit_id for t in targets}
        todo: dict[str, tuple[str, ModelRecordRef]] = {}
        for fact in result.added:
            for eid, ref in self.journal.records_installing(fact.key, applied=False)[:1]:
                if eid not in target_ids:
                    todo[ref.record_id] = (eid, ref)
        for rid in reverted:
            owner = self.journal.owner_of(rid)
            if owner and owner[0] not in target_ids:
                todo[rid] = owner
        return self._in_apply_order(todo.values())

    def _in_apply_order(self, refs: Any) -> list[tuple[str, ModelRecordRef]]:
        """Oldest edit first, and within an edit in the order its records were applied: a record can only be
        re-applied bit for bit onto the weights it was made against."""
        intents = {i.edit_id: i for i in self.journal.list(status=Status.COMMITTED)}
        rank = {eid: n for n, eid in enumerate(reversed(list(intents)))}

        def key(item: tuple[str, ModelRecordRef]) -> tuple[int, int]:
            eid, ref = item
            ids = [r.record_id for r in intents[eid].records] if eid in intents else []
            return rank.get(eid, -1), ids.index(ref.record_id) if ref.record_id in ids else 0

        return sorted(refs, key=key)

    def _undo_model(self, intent: Intent, sync: ModelSync | None = None) -> None:
        """Put the model back as it was before an unfinished edit: revert its records, re-apply what it reverted."""
        sync = sync or (self._model_sync(None) if self._model_sync else None)
        if sync is None:
            return
        mine = [r for r in intent.records if r.record_id in set(sync.handle.ledger.applied)]
        collateral = sync.revert(mine)
        mine_ids = {r.record_id for r in intent.records}
        others = {rid: self.journal.owner_of(rid) for rid in [*(intent.result or {}).get("reverted", []), *collateral]
                  if rid not in mine_ids}
        for eid, ref in self._in_apply_order(o for o in others.values() if o):
            if ref.record_id not in sync.handle.ledger.applied:
                self._reapply(sync, eid, ref)

    def _finish_committed(self, intent: Intent) -> None:
        commit = self.store.commits_of_edit(intent.edit_id)[-1]
        state = None
        if self._model_sync:
            sync = self._model_sync(None)
            applied = set(sync.handle.ledger.applied)
            for ref in intent.records:
                self.journal.set_applied(intent.edit_id, ref.record_id, ref.record_id in applied)
            state = sync.handle.state_id
        self.journal.update(intent.edit_id, status=Status.COMMITTED, kg_version=commit.version, model_state=state)

    def _quarantined(self, edit_id: str) -> Intent:
        intent = self.journal.get(edit_id)
        if intent.status != Status.QUARANTINED:
            raise Conflict(f"edit {edit_id} is {intent.status}, not quarantined")
        return intent

    def _check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.store.head:
            raise Conflict(f"the KG is at version {self.store.head}, not the expected {expected}")


def _label(fact: PlannedFact) -> str:
    return _label_triple((fact.subject, fact.relation, fact.object))


def _label_triple(triple: Sequence[str]) -> str:
    return "({}, {}, {})".format(*triple)


def _triple_in(fact: PlannedFact) -> TripleIn:
    return TripleIn(subject=fact.subject, relation=fact.relation, object=fact.object)


def _planned(fact: Any) -> PlannedFact:
    return PlannedFact(subject=fact.subject_name, relation=fact.pred, object=fact.object_name)


def _outcome(edit_id: str, kind: str, plan: EditPlan, result: CommitResult, model: dict | None) -> EditOutcome:
    return EditOutcome(edit_id=edit_id, status="committed", kind=kind, version=result.commit.version, added=plan.add,
                       retired=result.retired, unchanged=plan.unchanged, notes=plan.notes, model=model)
