"""kgedit editors: every method that changes a model's behaviour returns an invertible ledger record."""

from editors.base import EditMethod, get_method, method_names, register_method
from editors.requests import EditRequest, Probe, render_request

__all__ = ["EditMethod", "EditRequest", "Probe", "get_method", "method_names", "register_method", "render_request"]
