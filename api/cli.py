"""The ``kgedit`` command line: open the facade, call one method, print text or ``--json``.

Errors (``KGEditError``) become a one-line message on stderr and exit code 1; ``--json`` output is JSON only.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click
from pydantic import BaseModel

from controller.facade import KGEdit
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


def with_kgedit(fn: Callable) -> Callable:
    """Open the facade from --home/KGEDIT_HOME for the command, close it after, turn errors into messages."""

    @click.option("--home", envvar="KGEDIT_HOME", type=click.Path(file_okay=False), default=None,
                  help="Data directory (default: $KGEDIT_HOME or ~/.kgedit).")
    @functools.wraps(fn)
    def wrapper(home: str | None, **kwargs: Any) -> Any:
        try:
            with KGEdit.open(home) as kge:
                return fn(kge, **kwargs)
        except KGEditError as e:
            raise click.ClickException(str(e)) from e

    return wrapper


def _parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--param")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _fact_line(f: Any) -> str:
    until = f" (until v{f.valid_to})" if f.valid_to else ""
    return f"{f.subject_name} --{f.pred}--> {f.object_name}   [v{f.valid_from}{until}]"


def _commit_line(c: Any) -> str:
    return f"v{c.version}  {c.ts}  {c.kind:<8} {c.author:<12} {c.n_changes:>7} changes  {c.message}"


def _result_text(r: Any) -> str:
    c = r.commit
    return f"version {c.version} ({c.kind}, edit {c.edit_id}): {c.n_changes} changes"


@click.group()
@click.version_option(package_name="kgedit")
def main() -> None:
    """kgedit: a versioned knowledge graph that keeps language models' knowledge correct."""


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "nt", "ttl", "jsonld"]), default=None,
              help="File format (default: from the extension).")
@click.option("--author", default=None, help="Recorded as the commit's author (default: your user name).")
@click.option("--add-relations", is_flag=True, help="Add unknown relations to the schema instead of failing.")
@json_option
@with_kgedit
def import_cmd(kge: KGEdit, file: str, fmt: str | None, author: str | None, add_relations: bool,
               as_json: bool) -> None:
    """Import FILE as one commit (all of it or nothing)."""
    result = kge.import_file(file, fmt=fmt, author=author, add_unknown_relations=add_relations,
                             progress=not as_json)
    emit(result.commit, as_json, lambda c: f"imported {c.n_changes} facts as version {c.version}")


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "nt", "ttl", "jsonld"]), default=None)
@click.option("--at", type=int, default=None, help="Export the graph as it was at this version.")
@json_option
@with_kgedit
def export_cmd(kge: KGEdit, file: str, fmt: str | None, at: int | None, as_json: bool) -> None:
    """Export the visible facts to FILE."""
    count = kge.export_file(file, fmt=fmt, at=at)
    emit({"file": file, "facts": count}, as_json, lambda d: f"wrote {d['facts']} facts to {d['file']}")


@main.command("query")
@click.argument("cypher")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Query parameter (JSON or text).")
@click.option("--at", type=int, default=None, help="Version bound to $at and used by visible(f).")
@click.option("--write", is_flag=True, help="Allow write clauses (bypasses versioning; administrators only).")
@json_option
@with_kgedit
def query_cmd(kge: KGEdit, cypher: str, params: tuple[str, ...], at: int | None, write: bool,
              as_json: bool) -> None:
    """Run a Cypher query (read-only unless --write)."""
    rows = kge.query(cypher, _parse_params(params), at=at, write=write)
    emit(rows, as_json, lambda rs: "\n".join(json.dumps(r, ensure_ascii=False, default=str) for r in rs))


@main.command("facts")
@click.argument("entity")
@click.option("--at", type=int, default=None)
@click.option("--relation", default=None)
@json_option
@with_kgedit
def facts_cmd(kge: KGEdit, entity: str, at: int | None, relation: str | None, as_json: bool) -> None:
    """Facts about ENTITY (by name or id) at a version."""
    emit(kge.facts(entity, at=at, relation=relation), as_json, lambda fs: "\n".join(map(_fact_line, fs)))


@main.command("log")
@click.option("--limit", type=int, default=20, show_default=True)
@json_option
@with_kgedit
def log_cmd(kge: KGEdit, limit: int, as_json: bool) -> None:
    """The commit history, newest first."""
    emit(kge.log(limit=limit), as_json, lambda cs: "\n".join(map(_commit_line, cs)))


@main.command("diff")
@click.argument("from_version", type=int)
@click.argument("to_version", type=int)
@json_option
@with_kgedit
def diff_cmd(kge: KGEdit, from_version: int, to_version: int, as_json: bool) -> None:
    """Facts added and removed between two versions."""
    def text(d: Any) -> str:
        return "\n".join([f"+ {_fact_line(f)}" for f in d.added] + [f"- {_fact_line(f)}" for f in d.removed])
    emit(kge.diff(from_version, to_version), as_json, text)


@main.command("rollback")
@click.option("--edit", "edit_id", default=None, help="Undo this edit in the KG and the model.")
@click.option("--to", "to_version", type=int, default=None, help="Return KG and model to this version.")
@click.option("--commit", type=int, default=None, help="Undo this one KG commit (KG only, e.g. an import).")
@click.option("--user", "of_user", default=None, help="Undo this user's edits (with --since).")
@click.option("--since", default=None, help="ISO time for --user, e.g. 2026-11-25T10:00.")
@json_option
@with_kgedit
def rollback_cmd(kge: KGEdit, edit_id: str | None, to_version: int | None, commit: int | None,
                 of_user: str | None, since: str | None, as_json: bool) -> None:
    """Roll back, written as a new commit (history is kept)."""
    if sum(x is not None for x in (edit_id, to_version, commit, of_user)) != 1:
        raise click.UsageError("give exactly one of --edit ID, --to N, --commit N or --user NAME")
    result = kge.rollback(edit_id=edit_id, to_version=to_version, commit=commit, of_user=of_user, since=since)
    emit(result, as_json, _rollback_text)


def _rollback_text(result: Any) -> str:
    items = result if isinstance(result, list) else [result]
    return "\n".join(_result_text(r) if hasattr(r, "commit") else f"version {r.version} (rollback {r.edit_id})"
                     for r in items) or "nothing to roll back"


@main.command("relations")
@json_option
@with_kgedit
def relations_cmd(kge: KGEdit, as_json: bool) -> None:
    """The relation schema: names, cardinality, inverse."""
    rels = [r.to_dict() for r in kge.store.schema]
    emit(rels, as_json, lambda rs: "\n".join(
        f"{r['name']:<28} {r['cardinality']:<10} inverse={r.get('inverse') or '-'}" for r in rs))


@main.command("serve")
@click.option("--host", default=None, help="Bind address (default from settings: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default from settings: 8321).")
@click.option("--demo", is_flag=True, help="Load the demo KG first if the graph is empty.")
@click.option("--home", envvar="KGEDIT_HOME", type=click.Path(file_okay=False), default=None)
def serve_cmd(host: str | None, port: int | None, demo: bool, home: str | None) -> None:
    """Start the HTTP service (API under /v1, docs at /docs)."""
    import uvicorn

    from api.app import create_app
    from kg.settings import Settings

    try:
        settings = Settings.load(home=home, host=host, port=port)
        app = create_app(settings, load_demo=demo)
    except KGEditError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"kgedit serving http://{settings.host}:{settings.port}/ (data in {settings.home})", err=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


@main.command("migrate")
@click.option("--from", "from_uri", default=None, metavar="PATH_OR_URI",
              help="Source store: a path, or bolt://host:port (default: the configured store).")
@click.option("--to", "to_uri", required=True, metavar="PATH_OR_URI", help="Target store; must be empty.")
@click.option("--from-user", default=None, help="Bolt user of the source (default: settings' store_user).")
@click.option("--from-password", envvar="KGEDIT_FROM_PASSWORD", default=None,
              help="Bolt password of the source (or $KGEDIT_FROM_PASSWORD; default: settings' store_password).")
@click.option("--from-database", default=None, help="Bolt database of the source.")
@click.option("--to-user", default=None, help="Bolt user of the target.")
@click.option("--to-password", envvar="KGEDIT_TO_PASSWORD", default=None,
              help="Bolt password of the target (or $KGEDIT_TO_PASSWORD).")
@click.option("--to-database", default=None, help="Bolt database of the target.")
@click.option("--home", envvar="KGEDIT_HOME", type=click.Path(file_okay=False), default=None)
@json_option
def migrate_cmd(from_uri: str | None, to_uri: str, from_user: str | None, from_password: str | None,
                from_database: str | None, to_user: str | None, to_password: str | None, to_database: str | None,
                home: str | None, as_json: bool) -> None:
    """Copy the KG with its full history to another store, then verify counts and per-version checksums."""
    from kg.migrate import migrate
    from kg.settings import Settings

    try:
        settings = Settings.load(home=home)
        source_auth = {"user": from_user, "password": from_password, "database": from_database}
        if from_uri is None:  # the configured store, with its configured credentials
            from_uri = settings.resolved_store_uri
            source_auth = {"user": from_user or settings.store_user,
                           "password": from_password or settings.store_password,
                           "database": from_database or settings.store_database}
        report = migrate(from_uri, to_uri, from_auth=source_auth,
                         to_auth={"user": to_user, "password": to_password, "database": to_database},
                         progress=not as_json)
    except KGEditError as e:
        raise click.ClickException(str(e)) from e
    emit(report, as_json, lambda r: (f"copied {r.entities} entities, {r.facts} facts, {r.commits} commits and "
                                     f"{r.changes} changes from {r.source} to {r.target}; verified "
                                     f"{r.versions_verified} versions in {r.seconds} s"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
