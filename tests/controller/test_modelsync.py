"""Method chains of ModelSync, without a real model: each planned fact is installed by the first method of its
role's chain that the model then answers; a failed attempt is reverted and leaves no journal entry; facts the
model already answers get no record; verification wants the target's words, not a longer word."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from controller.db import ControllerDB
from controller.journal import Journal, Status
from controller.modelsync import ModelSync, _matches
from controller.plan import PlannedFact
from kg.schema import RelationSchema
from models.ledger.records import new_record_id


@dataclasses.dataclass(frozen=True)
class FakeRecord:
    id: str
    answers: dict[str, str]


class FakeLedger:
    def __init__(self) -> None:
        self.order: list[str] = []
        self.records: dict[str, FakeRecord] = {}

    @property
    def applied(self) -> tuple[str, ...]:
        return tuple(self.order)

    def apply(self, record: FakeRecord) -> None:
        self.order.append(record.id)
        self.records[record.id] = record

    def revert(self, record_id: str, *, cascade: bool = False) -> list[str]:
        i = self.order.index(record_id)
        done = list(reversed(self.order[i:]))
        del self.order[i:]
        return done

    def record(self, record_id: str) -> FakeRecord:
        return self.records[record_id]


class FakeHandle:
    """Answers each prompt with the latest applied record's answer for it, else with ``base``."""

    name = "fake"

    def __init__(self, base: dict[str, str]) -> None:
        self.base = base
        self.ledger = FakeLedger()

    def tokenizer(self, text: str) -> dict[str, list[str]]:
        return {"input_ids": text.split()}

    def generate(self, prompts: list[str], *, chat: bool, max_new_tokens: int) -> list[str]:
        out = []
        for prompt in prompts:
            answer = self.base.get(prompt, " the United Kingdom.")
            for rid in self.ledger.order:
                answer = self.ledger.records[rid].answers.get(prompt, answer)
            out.append(answer)
        return out


class FakeMethod:
    batchable = False

    def __init__(self, takes: Callable[[str], bool]) -> None:
        self.takes = takes
        self.calls: list[str] = []

    def apply(self, handle: FakeHandle, requests: list) -> FakeRecord:
        (request,) = requests
        self.calls.append(request.prompt)
        answer = request.target_new + "." if self.takes(request.prompt) else " the United Kingdom."
        return FakeRecord(id=new_record_id(), answers={request.prompt: answer})


@pytest.fixture
def journal(tmp_path):
    db = ControllerDB(tmp_path / "controller.db")
    journal = Journal(db)
    journal.open(edit_id="e-1", user="u", kind="edit", request={}, status=Status.PENDING)
    yield journal
    db.close()


def sync_for(journal: Journal, handle: FakeHandle, methods: dict[str, FakeMethod]) -> ModelSync:
    return ModelSync(handle, journal, RelationSchema.default(), method="rome", editor=methods.__getitem__)


PRIMARY = PlannedFact(subject="France", relation="capital", object="Rome")
INVERSE = PlannedFact(subject="Rome", relation="capital_of", object="France", role="inverse")


def test_inverse_goes_to_grace_first_and_primary_to_the_edit_method(journal):
    rome, grace = FakeMethod(lambda p: True), FakeMethod(lambda p: True)
    handle = FakeHandle({})
    sync = sync_for(journal, handle, {"rome": rome, "grace": grace})
    refs = sync.apply("e-1", [PRIMARY, INVERSE])
    assert [r.method for r in refs] == ["rome", "grace"]
    assert rome.calls == ["The capital of France is"] and grace.calls == ["Rome is the capital of"]
    assert sync.verify([PRIMARY, INVERSE]).rate == 1.0
    assert [(r.method, r.applied) for r in journal.get("e-1").records] == [("rome", True), ("grace", True)]


def test_a_missed_fact_is_reverted_and_the_next_method_installs_it(journal):
    rome, grace = FakeMethod(lambda p: True), FakeMethod(lambda p: False)  # GRACE misses the inverse
    handle = FakeHandle({})
    sync = sync_for(journal, handle, {"rome": rome, "grace": grace})
    refs = sync.apply("e-1", [PRIMARY, INVERSE])
    assert [r.method for r in refs] == ["rome", "rome"]
    assert len(grace.calls) == 1 and len(handle.ledger.applied) == 2  # GRACE's record was reverted
    assert [r.record_id for r in journal.get("e-1").records] == list(handle.ledger.applied)
    assert sync.verify([INVERSE]).rate == 1.0


def test_primary_falls_back_to_grace_and_the_last_method_is_kept_for_verification(journal):
    rome, grace = FakeMethod(lambda p: False), FakeMethod(lambda p: p.startswith("The capital"))
    handle = FakeHandle({})
    sync = sync_for(journal, handle, {"rome": rome, "grace": grace})
    refs = sync.apply("e-1", [PRIMARY, INVERSE])
    # primary: ROME missed (reverted), GRACE took; inverse: GRACE missed (reverted), ROME, the last, is kept
    assert [r.method for r in refs] == ["grace", "rome"]
    check = sync.verify([PRIMARY, INVERSE])
    assert check.passed == {"(France, capital, Rome)": True, "(Rome, capital_of, France)": False}


def test_facts_the_model_already_answers_get_no_record(journal):
    derived = PlannedFact(subject="Marie Curie", relation="country_of_birth", object="Japan", role="derived")
    handle = FakeHandle({"Marie Curie was born in the country of": " Japan, but she"})
    rome, grace = FakeMethod(lambda p: True), FakeMethod(lambda p: True)
    sync = sync_for(journal, handle, {"rome": rome, "grace": grace})
    refs = sync.apply("e-1", [PlannedFact(subject="Marie Curie", relation="born_in", object="Tokyo"), derived])
    assert [r.method for r in refs] == ["rome"] and grace.calls == []
    assert sync.already == [derived]


def test_custom_chains_and_the_edit_method_fill_in():
    sync = ModelSync(FakeHandle({}), None, RelationSchema.default(), method="memit", editor=lambda n: None,
                     chains={"inverse": ("", "grace", "memit")})
    assert sync.chain("primary") == ("memit", "grace")
    assert sync.chain("inverse") == ("memit", "grace")
    assert sync.chain("derived") == ("grace", "memit")


@pytest.mark.parametrize("output, target, ok", [
    (" Rome.", " Rome", True), (" Brazilia state", " Brazil", False), (" Brazil, and", " Brazil", True),
    (" Phnom Penh.\n", " Phnom Penh", True), (" Phnom", " Phnom Penh", False), (" Kingstown", " Kingston", False),
    (" the Valley", " The Valley", True), ("", " Rome", False), ("罗马。", "罗马", True),
    (" the United Kingdom", " France", False),
])
def test_verification_wants_the_target_words(output, target, ok):
    assert _matches(output, target) is ok
