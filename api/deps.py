"""Dependencies shared by routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from controller.facade import KGEdit


def get_kgedit(request: Request) -> KGEdit:
    return request.app.state.kgedit


KGEditDep = Annotated[KGEdit, Depends(get_kgedit)]
