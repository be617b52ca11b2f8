"""The weight-delta ledger: invertible records of every weight change, persisted per model."""

from models.ledger.ledger import Ledger, state_id
from models.ledger.modules import OutputOffset, WrapperModule
from models.ledger.records import DenseRecord, LowRankRecord, ModuleRecord, Record
from models.ledger.store import Entry

__all__ = [
    "DenseRecord", "Entry", "Ledger", "LowRankRecord", "ModuleRecord", "OutputOffset", "Record", "WrapperModule",
    "state_id",
]
