"""The ``kgedit`` command line: open the facade, call one method, print text or ``--json``.

Errors (``KGEditError``) become a one-line message on stderr and exit code 1; ``--json`` output is JSON only.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, Any

import click

from api.cli_common import emit, fact_line, json_option, login_name, outcome_text, user_store, with_kgedit, working
from api.cli_locate import COMMANDS as locate_commands
from api.cli_model import COMMANDS as model_commands
from api.cli_tools import COMMANDS as tool_commands
from api.cli_users import users_group
from kg.errors import KGEditError

if TYPE_CHECKING:  # the facade pulls in the model stack (seconds): imported when a command opens it
    from controller.facade import KGEdit

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


def _commit_line(c: Any) -> str:
    return f"v{c.version}  {c.ts}  {c.kind:<8} {c.author:<12} {c.n_changes:>7} changes  {c.message}"


def _result_text(r: Any) -> str:
    c = r.commit
    return f"version {c.version} ({c.kind}, edit {c.edit_id}): {c.n_changes} changes"


@click.group()
@click.version_option(package_name="kgedit")
def main() -> None:
    """kgedit: a versioned knowledge graph that keeps language models' knowledge correct."""


for command in (users_group, *model_commands, *locate_commands, *tool_commands):
    main.add_command(command)


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
    emit(kge.facts(entity, at=at, relation=relation), as_json, lambda fs: "\n".join(map(fact_line, fs)))


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
        return "\n".join([f"+ {fact_line(f)}" for f in d.added] + [f"- {fact_line(f)}" for f in d.removed])
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


@main.command("edit")
@click.argument("subject")
@click.argument("relation")
@click.argument("object_")
@click.option("--method", default=None, help="Knowledge-editing method (default from settings: rome).")
@click.option("--expected-version", type=int, default=None, help="Refuse unless the KG is at this version.")
@json_option
@with_kgedit
def edit_cmd(kge: KGEdit, subject: str, relation: str, object_: str, method: str | None,
             expected_version: int | None, as_json: bool) -> None:
    """Set SUBJECT RELATION OBJECT in the KG and the model (replacing a single-valued fact)."""
    with working("editing", not as_json):
        out = kge.edit((subject, relation, object_), method=method, expected_version=expected_version)
    emit(out, as_json, outcome_text)


@main.command("forget")
@click.argument("subject")
@click.argument("relation")
@click.argument("object_", required=False)
@click.option("--expected-version", type=int, default=None, help="Refuse unless the KG is at this version.")
@json_option
@with_kgedit
def forget_cmd(kge: KGEdit, subject: str, relation: str, object_: str | None, expected_version: int | None,
               as_json: bool) -> None:
    """Retire SUBJECT RELATION [OBJECT] (every value if OBJECT is left out) and unlearn it."""
    with working("forgetting", not as_json):
        out = kge.forget((subject, relation, object_), expected_version=expected_version)
    emit(out, as_json, outcome_text)


@main.command("edits")
@click.option("--status", type=click.Choice(["pending", "committed", "aborted", "quarantined", "rejected",
                                             "refused"]), default=None)
@click.option("--user", default=None, help="Only this user's edits.")
@click.option("--limit", type=int, default=20, show_default=True)
@json_option
@with_kgedit
def edits_cmd(kge: KGEdit, status: str | None, user: str | None, limit: int, as_json: bool) -> None:
    """The edit journal, newest first."""
    def text(items: list[Any]) -> str:
        return "\n".join(f"{i.edit_id}  {i.created[:19]}  {i.kind:<8} {i.status:<11} {i.user:<12} "
                         f"{'; '.join(' '.join(map(str, t)) for t in i.request.get('triples', []))}" for i in items)
    emit(kge.edits(status=status, user=user, limit=limit), as_json, text)


@main.command("approve")
@click.argument("edit_id")
@json_option
@with_kgedit
def approve_cmd(kge: KGEdit, edit_id: str, as_json: bool) -> None:
    """Apply a quarantined edit (you review it as the local administrator)."""
    with working("applying", not as_json):
        out = kge.approve(edit_id)
    emit(out, as_json, outcome_text)


@main.command("reject")
@click.argument("edit_id")
@click.option("--reason", default="", help="Recorded in the journal.")
@json_option
@with_kgedit
def reject_cmd(kge: KGEdit, edit_id: str, reason: str, as_json: bool) -> None:
    """Reject a quarantined edit."""
    emit(kge.reject(edit_id, reason=reason), as_json, lambda i: f"{i.edit_id}: {i.status}")


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
@click.option("--kg-only", is_flag=True, help="Change the KG only; leave the model's weights alone (fast demos).")
@click.option("--token/--no-token", "issue", default=True, show_default=True,
              help="Issue an admin token for you and print the page's address with it.")
@click.option("--open", "open_browser", is_flag=True, help="Open the web page in a browser once serving.")
@click.option("--cors-origin", "cors", multiple=True, help="Allow this browser origin (repeat; '*' for any).")
@click.option("--home", envvar="KGEDIT_HOME", type=click.Path(file_okay=False), default=None)
def serve_cmd(host: str | None, port: int | None, demo: bool, kg_only: bool, issue: bool, open_browser: bool,
              cors: tuple[str, ...], home: str | None) -> None:
    """Start the HTTP service: the web page at /, the API under /v1, docs at /docs."""
    import uvicorn

    from api.app import create_app
    from api.options import ApiOptions
    from kg.settings import Settings

    try:
        settings = Settings.load(home=home, host=host, port=port, sync_model=False if kg_only else None)
        options = ApiOptions(**({"cors_origins": cors} if cors else {}))
        app = create_app(settings, options=options, load_demo=demo)
    except KGEditError as e:
        raise click.ClickException(str(e)) from e
    url = f"http://{settings.host}:{settings.port}/"
    if issue:
        with user_store(home) as users:
            url += "#token=" + users.issue_token(login_name(), "kgedit serve")
    click.echo(f"kgedit serving {url} (data in {settings.home})", err=True)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info"))
    if open_browser:
        threading.Thread(target=_open_when_up, args=(server, url), daemon=True).start()
    server.run()


def _open_when_up(server: Any, url: str) -> None:
    import time
    import webbrowser

    while not server.started and not server.should_exit:
        time.sleep(0.1)
    if server.started:
        webbrowser.open(url)


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
