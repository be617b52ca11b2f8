"""``kgedit users``: users, roles and API tokens (the first token for the HTTP service comes from here)."""

from __future__ import annotations

from typing import Any

import click

from api.cli_common import checked, emit, home_option, json_option, user_store


@click.group("users")
def users_group() -> None:
    """Users, roles and API tokens. Whoever can open the data directory acts as its administrator; these
    commands work while `kgedit serve` runs (they do not open the graph store)."""


def _user_json(u: Any) -> dict[str, str]:
    return {"name": u.name, "role": u.role.name.lower()}


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "editor", "reviewer", "admin"]), default="editor",
              show_default=True)
@home_option
@json_option
def users_add(name: str, role: str, home: str | None, as_json: bool) -> None:
    """Create user NAME with a role."""
    with user_store(home) as users:
        user = checked(lambda: users.create(name, role))
    emit(_user_json(user), as_json, lambda u: f"added {u['name']} ({u['role']})")


@users_group.command("token")
@click.argument("name")
@click.option("--label", default="", help="A note stored with the token (e.g. where it is used).")
@home_option
@json_option
def users_token(name: str, label: str, home: str | None, as_json: bool) -> None:
    """Issue an API token for NAME and print it (it is shown only once)."""
    with user_store(home) as users:
        token = checked(lambda: users.issue_token(name, label))
    emit({"user": name, "token": token}, as_json, lambda d: d["token"])


@users_group.command("list")
@home_option
@json_option
def users_list(home: str | None, as_json: bool) -> None:
    """Users and their roles."""
    with user_store(home) as users:
        found = [_user_json(u) for u in users.list()]
    emit(found, as_json, lambda us: "\n".join(f"{u['name']:<24} {u['role']}" for u in us))


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "editor", "reviewer", "admin"]))
@home_option
@json_option
def users_role(name: str, role: str, home: str | None, as_json: bool) -> None:
    """Change NAME's role."""
    with user_store(home) as users:
        user = checked(lambda: users.set_role(name, role))
    emit(_user_json(user), as_json, lambda u: f"{u['name']} is now {u['role']}")


@users_group.command("revoke")
@click.argument("name")
@home_option
@json_option
def users_revoke(name: str, home: str | None, as_json: bool) -> None:
    """Revoke every API token of NAME."""
    with user_store(home) as users:
        count = checked(lambda: users.revoke_tokens(name))
    emit({"user": name, "revoked": count}, as_json, lambda d: f"revoked {d['revoked']} token(s) of {d['user']}")
