"""Graph store backends, picked by URI scheme (see :func:`open_backend`)."""

from __future__ import annotations

from kg.backends.base import GraphBackend
from kg.errors import ConfigError

__all__ = ["GraphBackend", "open_backend"]

_BOLT_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def open_backend(uri: str, *, user: str | None = None, password: str | None = None,
                 database: str | None = None) -> GraphBackend:
    """Open the backend a store URI names: a path or ``:memory:`` (embedded LadybugDB) or a Bolt URI (Neo4j).

    Raises:
        ConfigError: the URI names a backend that is not available.
    """
    if uri.startswith(_BOLT_SCHEMES):
        try:
            from kg.backends.neo4j import Neo4jBackend
        except ImportError as e:
            raise ConfigError(f"store URI {uri!r} needs the Neo4j backend, which is not available: {e}") from e
        return Neo4jBackend(uri, user=user, password=password, database=database)
    if "://" in uri:
        raise ConfigError(f"unsupported store URI {uri!r}: use a path, ':memory:' or bolt://host:port")
    from kg.backends.ladybug import LadybugBackend

    return LadybugBackend(uri)
