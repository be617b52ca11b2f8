"""Helpers shared by the ``kgedit`` command modules: JSON or text output, shared options, the users store, the
facade opened for a command, an elapsed-time bar for long calls."""

from __future__ import annotations

import contextlib
import functools
import getpass
import json
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import click
from pydantic import BaseModel
from tqdm import tqdm

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


def with_kgedit(fn: Callable) -> Callable:
    """Open the facade from --home/KGEDIT_HOME for the command, close it after, turn errors into messages."""

    @click.option("--home", envvar="KGEDIT_HOME", type=click.Path(file_okay=False), default=None,
                  help="Data directory (default: $KGEDIT_HOME or ~/.kgedit).")
    @functools.wraps(fn)
    def wrapper(home: str | None, **kwargs: Any) -> Any:
        from controller.facade import KGEdit

        try:
            with KGEdit.open(home) as kge:
                return fn(kge, **kwargs)
        except KGEditError as e:
            raise click.ClickException(str(e)) from e

    return wrapper


@contextlib.contextmanager
def working(desc: str, enabled: bool) -> Any:
    """An elapsed-time bar on stderr while a long call (a model edit) runs; nothing with --json."""
    if not enabled:
        yield
        return
    done = threading.Event()
    with tqdm(desc=desc, unit="s", bar_format="{desc}: {elapsed}", file=sys.stderr) as bar:
        ticker = threading.Thread(target=lambda: [bar.refresh() for _ in iter(lambda: done.wait(0.5), True)],
                                  daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()


def fact_line(f: Any) -> str:
    until = f" (until v{f.valid_to})" if f.valid_to else ""
    return f"{f.subject_name} --{f.pred}--> {f.object_name}   [v{f.valid_from}{until}]"


def outcome_text(o: Any) -> str:
    lines = [f"{o.kind} {o.edit_id}: {o.status}" + (f" as version {o.version}" if o.version is not None else "")]
    lines += [f"  + {f.subject} --{f.relation}--> {f.object}" + (f"  ({f.role})" if f.role != "primary" else "")
              for f in o.added]
    lines += [f"  - {fact_line(f)}" for f in o.retired]
    lines += [f"  ! {r}" for r in o.reasons] + [f"  . {n}" for n in o.notes]
    if o.model and o.model.get("outputs"):
        lines += [f"  model: {k} -> {v!r}" for k, v in o.model["outputs"].items()]
    return "\n".join(lines)
