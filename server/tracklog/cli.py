"""The `tracklog` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from tracklog.config import ConfigError
from tracklog.errors import DomainError

RECORDER_NICENESS = 10


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside an application context of the configured app."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        """Create the app, then run the command in its context."""
        from tracklog import create_app

        with create_app().app_context():
            return command(*args, **kwargs)

    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tracklog")
def cli() -> None:
    """tracklog: track and log sales mail from Outlook into a self-hosted CRM."""


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 for every interface, e.g. behind a load balancer).",
)
@click.option("--port", default=5443, show_default=True, type=click.IntRange(1, 65535))
@click.option("--https/--no-https", default=True, show_default=True, help="Serve over TLS.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Worker processes (default: one per usable processor core).",
)
@click.option(
    "--smtpd/--no-smtpd",
    default=True,
    show_default=True,
    help="Also run the BCC receiver (`tracklog smtpd`) as a child process.",
)
def serve(host: str, port: int, https: bool, workers: int | None, smtpd: bool) -> None:
    """Serve the web app, API, tracking endpoints, websockets and the BCC receiver."""
    from tracklog.serving import serve_forever

    serve_forever(host=host, port=port, https=https, workers=workers, smtpd=smtpd)


@cli.command()
@click.option("--host", help="Address to listen on (default: TRACKLOG_SMTP_HOST, 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port to listen on (default: TRACKLOG_SMTP_PORT, 2525).",
)
def smtpd(host: str | None, port: int | None) -> None:
    """Run the BCC receiver alone until SIGINT or SIGTERM."""
    from tracklog import create_app
    from tracklog.maillog.ingest import process_batch
    from tracklog.maillog.smtpd import SmtpReceiver, run_until_signalled

    receiver = SmtpReceiver(create_app(), host, port, process=process_batch)
    run_until_signalled(receiver, announce=click.echo)


@cli.command("record-hits")
@with_app
def record_hits() -> None:
    """Record journaled tracking hits into the database (started by `tracklog serve`)."""
    import signal

    from tracklog.tracking.hits import hit_journal

    journal = hit_journal()
    # Answering comes first: under load the recorder yields the processor to the web workers and
    # catches up afterwards (hits wait safely in the journal).
    os.nice(RECORDER_NICENESS)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: journal.stop())
    click.echo(f"recording hits journaled in {journal.directory}", err=True)
    journal.run()
    journal.close()


@cli.command()
@with_app
def cert() -> None:
    """Create (once) and print the path of the development certificate `tracklog serve` presents."""
    from flask import current_app

    from tracklog.devcert import ensure_certificate, trust_instructions

    cert_path, _key_path = ensure_certificate(current_app.instance_path)
    click.echo(trust_instructions(cert_path), err=True)
    click.echo(str(cert_path))


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_app
def db_upgrade(revision: str) -> None:
    """Migrate the database up (to the newest revision by default)."""
    from tracklog.extensions import db as database
    from tracklog.migrate import current_revision, upgrade

    upgrade(database.engine, revision)
    click.echo(f"database at revision {current_revision(database.engine)}")


@db.command("downgrade")
@click.argument("revision")
@with_app
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    from tracklog.extensions import db as database
    from tracklog.migrate import current_revision, downgrade

    downgrade(database.engine, revision)
    click.echo(f"database at revision {current_revision(database.engine) or 'base'}")


@cli.group()
def account() -> None:
    """Accounts (tenants)."""


@account.command("add")
@click.argument("name")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 code of amounts.")
@with_app
def account_add(name: str, currency: str) -> None:
    """Create an account with the default pipelines; print its id and logging BCC address."""
    from tracklog.auth.accounts import bcc_address, create_account

    created = create_account(name, currency)
    click.echo(f"account {created.id} {created.name}")
    click.echo(f"logging BCC address: {bcc_address(created)}")


@cli.group()
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("email")
@click.option("--account", "account_name", required=True, help="Name of the user's account.")
@click.option("--admin", is_flag=True, help="Make the user an admin of the account.")
@click.option("--password", help="Local password (asked for when omitted and a terminal is used).")
@click.option("--name", "display_name", default="", help="Display name.")
@with_app
def user_add(
    email: str, account_name: str, admin: bool, password: str | None, display_name: str
) -> None:
    """Add a local user to an account."""
    from tracklog.auth.accounts import add_user, find_account

    if password is None and sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = add_user(
        find_account(account_name),
        email,
        display_name=display_name,
        role="admin" if admin else "user",
        password=password,
    )
    click.echo(f"user {created.id} {created.email} ({created.role}) in {account_name}")


@cli.group()
def token() -> None:
    """Personal API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@with_app
def token_create(email: str, name: str) -> None:
    """Create a personal API token; it is printed alone on the last line, once."""
    from tracklog.auth.accounts import find_user
    from tracklog.auth.tokens import create_token

    created, plain = create_token(find_user(email), name)
    click.echo(f"token {created.id} '{created.name}' for {email}; it is shown only once", err=True)
    click.echo(plain)


@cli.group()
def retention() -> None:
    """Purging data older than each account's retention periods."""


@retention.command("run")
@with_app
def retention_run() -> None:
    """Purge now what every account's retention periods say is due (serve does it hourly)."""
    from tracklog.privacy.retention import run_retention_everywhere

    for account_id, result in run_retention_everywhere().items():
        if result is None:
            click.echo(f"account {account_id}: another process is running its retention")
        else:
            click.echo(
                f"account {account_id}: {result.events} events, {result.mail} logged mails, "
                f"{result.received} received copies removed"
            )


@cli.group()
def webhooks() -> None:
    """Sending the accounts' events to their webhooks."""


@webhooks.command("deliver")
@with_app
def webhooks_deliver() -> None:
    """Send every webhook delivery that is due now (serve's recorder does it continually)."""
    from tracklog.webhooks.dispatch import deliver_due

    click.echo(f"{deliver_due()} delivery attempts made")


@cli.group()
def mailbox() -> None:
    """Connected mailboxes (Microsoft 365, IMAP)."""


@mailbox.command("sync")
@with_app
def mailbox_sync() -> None:
    """Sync every mailbox that is due now (serve's recorder does it continually)."""
    from tracklog.mailbox.schedule import run_due_syncs

    click.echo(f"{run_due_syncs()} mailboxes synced")


@cli.group()
def reminders() -> None:
    """Follow-up reminders on tracked mail."""


@reminders.command("run")
@with_app
def reminders_run() -> None:
    """Fire or close the due follow-up reminders now (serve does it every 15 seconds)."""
    from tracklog.tracking.reminders import run_due_reminders

    run = run_due_reminders()
    click.echo(f"{run.fired} reminders fired, {run.closed} closed")


@cli.command()
@with_app
def demo() -> None:
    """Fill the database with a believable demo account and print how to sign in."""
    from tracklog.demo import seed_demo

    for line in seed_demo():
        click.echo(line)


@cli.command()
@click.option("--base-url", metavar="URL", help="Public https:// URL of the server.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write (default: standard output).",
)
@click.option(
    "--client-id",
    metavar="ID",
    help="Entra app id for single sign-on (default: TRACKLOG_ENTRA_CLIENT_ID; none: no SSO).",
)
@click.option("--app-id", metavar="GUID", help="Add-in id (default: derived from the base URL).")
@click.option(
    "--check",
    "checked",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check a manifest offline (Microsoft's schemas, event names, https URLs); write nothing.",
)
def manifest(
    base_url: str | None,
    output: Path | None,
    client_id: str | None,
    app_id: str | None,
    checked: Path | None,
) -> None:
    """Write the Outlook add-in manifest for a deployment at --base-url, or --check one."""
    if checked is not None:
        if base_url or output or client_id or app_id:
            raise click.UsageError("--check FILE takes no other option")
        check_manifest_file(checked)
        return
    if not base_url:
        raise click.UsageError("give --base-url URL to write a manifest, or --check FILE")
    write_manifest(base_url, output, client_id, app_id)


def check_manifest_file(path: Path) -> None:
    """One OK line, or each problem on its own line and exit status 1."""
    from tracklog.addin.validation import check_manifest

    problems = check_manifest(path)
    if not problems:
        click.echo(f"{path}: OK, a valid Outlook add-in manifest")
        return
    for problem in problems:
        click.echo(f"{path}:{problem.line}: {problem.message}")
    sys.exit(1)


def write_manifest(
    base_url: str, output: Path | None, client_id: str | None, app_id: str | None
) -> None:
    """Render the manifest for a deployment to a file or standard output."""
    from tracklog.addin.manifest import ManifestError, default_app_id, render_manifest
    from tracklog.config import Config

    try:
        xml = render_manifest(
            base_url,
            client_id if client_id is not None else Config().ENTRA_CLIENT_ID,
            app_id or default_app_id(base_url),
        )
    except ManifestError as error:
        raise click.BadParameter(str(error)) from None
    if output is None:
        click.echo(xml, nl=False)
        return
    output.write_text(xml, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.option("--server", metavar="URL", help="tracklog server (default: TRACKLOG_BASE_URL).")
@click.option("--token", metavar="T", help="Personal API token (default: TRACKLOG_TOKEN).")
@click.option(
    "--cafile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Certificate to trust (default: the development one for localhost, else the system's).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON line per notification; no pop-ups."
)
@click.option("--once", is_flag=True, help="Exit after the first notification.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the resume point (default: tracklog's config folder).",
)
def listen(
    server: str | None,
    token: str | None,
    cafile: Path | None,
    as_json: bool,
    once: bool,
    state_dir: Path | None,
) -> None:
    """Show each open, click and reply as a desktop notification; resume after a disconnect."""
    from tracklog.config import Config
    from tracklog.desktop_listener import ListenerStopped, default_cafile
    from tracklog.desktop_listener import listen as run_listener

    config = Config()
    server = server or config.BASE_URL
    token = token or config.LISTEN_TOKEN
    if not token:
        raise click.ClickException(
            "no token: pass --token or set TRACKLOG_TOKEN (`tracklog token create EMAIL`)"
        )
    try:
        run_listener(
            server,
            token,
            cafile=cafile or default_cafile(server, config.INSTANCE_PATH),
            as_json=as_json,
            once=once,
            state_dir=state_dir,
        )
    except ListenerStopped as stopped:
        error = click.ClickException(str(stopped))
        error.exit_code = stopped.exit_code
        raise error from None


def user_error_message(error: BaseException) -> str | None:
    """One line for a mistake or an unreachable service; None for a bug."""
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, OperationalError):
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return f"the database cannot be used: {reason}"
    if isinstance(error, SQLAlchemyError):
        return f"database error: {str(error).splitlines()[0]}"
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
    return None


def main() -> None:
    """Entry point: user mistakes end in one line on stderr and exit code 1, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:
        message = user_error_message(error)
        if message is None or os.environ.get("TRACKLOG_DEBUG"):
            raise
        click.echo(f"Error: {message}", err=True)
        sys.exit(1)
