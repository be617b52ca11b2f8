"""Helpers shared by the ``kgedit`` command modules: JSON or text output, shared options, the users store."""

from __future__ import annotations

import contextlib
import getpass
import json
from collections.abc import Callable, Iterator
from typing import Any

import click
from pydantic import BaseModel

from kg.errors import KGEditError


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def emit(value: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    """Print ``value`` as JSON (machine use) or through ``text`` (people)."""
    click.echo(json.dumps(_jsonable(value), ensure_ascii=False, indent=2) if as_json else text(value))


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON only, for scripts.")(fn)


def home_option(fn: Callable) -> Callable:
    return click.option("--home", envvar="KGEDIT_HOME", type=click.Path(file_okay=False), default=None,
                        help="Data directory (default: $KGEDIT_HOME or ~/.kgedit).")(fn)


def checked(call: Callable[[], Any]) -> Any:
    """Run ``call``; a KGEditError becomes a one-line message and exit code 1."""
    try:
        return call()
    except KGEditError as e:
        raise click.ClickException(str(e)) from e


def login_name() -> str:
    """The local OS user, who is the administrator of a data directory they can open (as in ``KGEdit``)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


@contextlib.contextmanager
def user_store(home: str | None) -> Iterator[Any]:
    """The users and tokens of a data directory, without opening the graph store (so it works while a server
    holds the store's lock). Ensures the local OS user exists as administrator, as ``KGEdit.open`` does."""
    from controller.db import ControllerDB
    from controller.users import Role, UserStore
    from kg.settings import Settings

    settings = checked(lambda: Settings.load(home=home))
    db = ControllerDB(settings.home / "controller.db")
    try:
        users = UserStore(db)
        checked(lambda: users.ensure(login_name(), Role.ADMIN))
        yield users
    finally:
        db.close()
