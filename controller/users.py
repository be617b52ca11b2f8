"""Users, roles and API tokens. Tokens are random and stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from enum import IntEnum

from pydantic import BaseModel, ConfigDict

from controller.db import ControllerDB
from kg.errors import Conflict, Forbidden, InvalidInput, KGEditError, NotFound

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class Role(IntEnum):
    """Roles are ordered: each can do everything the ones below it can."""

    VIEWER = 1  # read the KG, query, ask
    EDITOR = 2  # submit edits and forgets, roll back their own edits
    REVIEWER = 3  # approve or reject quarantined edits, edit protected relations, roll back anyone's edits
    ADMIN = 4  # manage users, write Cypher, roll back to versions

    @classmethod
    def parse(cls, value: "str | Role") -> "Role":
        if isinstance(value, Role):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            raise InvalidInput(f"unknown role {value!r}; use viewer, editor, reviewer or admin") from None


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: Role

    def require(self, role: Role, action: str) -> None:
        """Raise Forbidden unless this user has at least ``role``."""
        if self.role < role:
            raise Forbidden(f"{self.name} ({self.role.name.lower()}) may not {action}; it needs "
                            f"{role.name.lower()}")


class Unauthorized(KGEditError):
    """No valid credentials."""

    http_status = 401


class UserStore:
    """Users and their tokens in the controller database."""

    def __init__(self, db: ControllerDB):
        self._db = db

    def create(self, name: str, role: Role | str = Role.EDITOR) -> User:
        """Add a user. Raises Conflict if the name is taken, InvalidInput for a bad name."""
        if not _NAME.match(name):
            raise InvalidInput("user names are 1-64 letters, digits or _ . @ -")
        role = Role.parse(role)
        with self._db.atomic() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"user {name!r} already exists")
            conn.execute("INSERT INTO users VALUES (?, ?, ?)", (name, role.name.lower(), _now()))
        return User(name=name, role=role)

    def get(self, name: str) -> User:
        rows = self._db.query("SELECT name, role FROM users WHERE name = ?", (name,))
        if not rows:
            raise NotFound(f"no user named {name!r}")
        return User(name=rows[0]["name"], role=Role.parse(rows[0]["role"]))

    def ensure(self, name: str, role: Role | str) -> User:
        """The user, created with ``role`` if missing (for the local default user and admin bootstrap)."""
        try:
            return self.get(name)
        except NotFound:
            return self.create(name, role)

    def list(self) -> list[User]:
        return [User(name=r["name"], role=Role.parse(r["role"]))
                for r in self._db.query("SELECT name, role FROM users ORDER BY name")]

    def set_role(self, name: str, role: Role | str) -> User:
        user = self.get(name)
        with self._db.atomic() as conn:
            conn.execute("UPDATE users SET role = ? WHERE name = ?", (Role.parse(role).name.lower(), user.name))
        return self.get(name)

    def issue_token(self, name: str, label: str = "") -> str:
        """Create an API token for a user; the token itself is returned once and never stored."""
        user = self.get(name)
        token = "kge_" + secrets.token_urlsafe(32)
        with self._db.atomic() as conn:
            conn.execute("INSERT INTO tokens VALUES (?, ?, ?, ?)", (_digest(token), user.name, label, _now()))
        return token

    def authenticate(self, token: str | None) -> User:
        """The user a token belongs to. Raises Unauthorized."""
        if not token:
            raise Unauthorized("missing API token")
        rows = self._db.query("SELECT u.name, u.role FROM tokens t JOIN users u ON u.name = t.user "
                              "WHERE t.digest = ?", (_digest(token),))
        if not rows:
            raise Unauthorized("invalid API token")
        return User(name=rows[0]["name"], role=Role.parse(rows[0]["role"]))

    def revoke_tokens(self, name: str) -> int:
        with self._db.atomic() as conn:
            return conn.execute("DELETE FROM tokens WHERE user = ?", (self.get(name).name,)).rowcount


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a plain hash (no salt, no slow KDF) is enough to make a leak useless.
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
