"""Rollback requests: "undo my last edit", "undo edit 12", "roll back to version 12", "撤销编辑12", "回滚到版本12"."""

from __future__ import annotations

import re

from interpreter.text import parse_count
from interpreter.types import RollbackTarget

_PLEASE = r"(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?"
_UNDO = r"(?:undo|revert|roll\s*back|rollback|cancel|reverse|take\s+back|back\s+out|unapply)"
_EDIT = r"(?:edits?|changes?|updates?|commits?|modifications?)"
_END = r"[\s.!?。]*"
_ZH_PLEASE = r"(?:请|麻烦)?(?:帮我)?"
_ZH_UNDO = r"(?:撤销|撤消|撤回|回滚|取消|还原)(?:一下)?"
_ZH_NUM = r"[\d一二两三四五六七八九十]+"
_ZH_EDIT = r"(?:编辑|修改|更改|变更|操作|改动|提交)"

_EDIT_ID = [
    rf"{_PLEASE}{_UNDO}\s+(?:the\s+)?(?:edit|change|commit|update)(?:\s+(?:id|number|no\.?))?\s*#?\s*(?P<id>[A-Za-z0-9][\w\-]*){_END}",
    rf"{_ZH_PLEASE}{_ZH_UNDO}第?{_ZH_EDIT}(?:号|编号|ID|id)?#?(?P<id>[A-Za-z0-9][\w\-]*?)号?{_END}",
    rf"{_ZH_PLEASE}{_ZH_UNDO}第?(?P<id>\d+)号{_ZH_EDIT}{_END}",
]
_LAST = [
    rf"{_PLEASE}{_UNDO}\s+(?:(?:my|the|your|our|that)\s+)?(?:last|latest|previous|most\s+recent|recent)"
    rf"(?:\s+(?P<n>\d+|[a-z]+))?\s+{_EDIT}{_END}",
    rf"{_PLEASE}{_UNDO}(?:\s+(?:that|it|this|the\s+last\s+one|what\s+i\s+just\s+did))?{_END}",
    rf"{_ZH_PLEASE}{_ZH_UNDO}(?:吧|它|这个|那个|刚才的操作|刚才的修改)?{_END}",
    rf"{_ZH_PLEASE}{_ZH_UNDO}(?:我|我的|我们的)?(?:最近|上|最后|前)(?P<n>{_ZH_NUM})?(?:次|个|条|项|步)?的?(?:{_ZH_EDIT})?{_END}",
]
_VERSION = [
    rf"{_PLEASE}(?:{_UNDO}|go\s+back|return|restore|reset|rewind|switch\s+back|revert\s+back)(?:\s+(?:the\s+)?"
    rf"(?:kg|graph|knowledge\s+graph|knowledge\s+base|database|facts))?(?:\s+(?:back\s+)?to)?\s+(?:the\s+)?"
    rf"(?:version|v|ver\.?|revision|rev\.?)\s*#?\s*(?P<v>\d+){_END}",
    rf"{_ZH_PLEASE}(?:回滚|回退|恢复|还原|退回|返回|回|切换|重置|撤销)(?:知识图谱|图谱)?(?:到|至)(?:第(?P<v>{_ZH_NUM})个?(?:版本|版)"
    rf"|(?:版本|版)#?(?P<v2>{_ZH_NUM})|v(?P<v3>\d+)){_END}",
]
_COMPILED = {kind: [re.compile(p, re.IGNORECASE) for p in patterns]
             for kind, patterns in (("edit", _EDIT_ID), ("version", _VERSION), ("last", _LAST))}


def parse_rollback(text: str) -> RollbackTarget | None:
    """The rollback ``text`` asks for, or None when it is not a rollback request.

    >>> parse_rollback("roll back to version 12").version, parse_rollback("撤销编辑12").edit_id
    (12, '12')
    >>> parse_rollback("Undo the last two edits").last, parse_rollback("undo my last edit").last
    (2, 1)
    """
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            match = pattern.fullmatch(text)
            if match:
                target = _target(kind, match)
                if target is not None:
                    return target
    return None


def _target(kind: str, match: re.Match[str]) -> RollbackTarget | None:
    groups = {k: v for k, v in match.groupdict().items() if v}
    if kind == "edit":
        return RollbackTarget(edit_id=groups["id"])
    if kind == "version":
        number = parse_count(groups.get("v") or groups.get("v2") or groups.get("v3") or "")
        return RollbackTarget(version=number) if number is not None else None
    count = parse_count(groups["n"]) if "n" in groups else 1
    return RollbackTarget(last=count) if count else None
