"""The tracklog command: accounts, users, tokens, migrations, and clear one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import app_environment
from tracklog.auth.tokens import user_for_token
from tracklog.cli import cli
from tracklog.extensions import db
from tracklog.models import Account, Pipeline, User

TRACKLOG = str(Path(sys.executable).with_name("tracklog"))


@pytest.fixture
def invoke(app, database_url, tmp_path):
    """Run a tracklog command in-process against the test database."""
    environment = app_environment(database_url, tmp_path)

    def run(*args: str, input: str | None = None):
        """The CliRunner result of one command."""
        result = CliRunner().invoke(cli, list(args), env=environment, input=input)
        db.session.expire_all()
        return result

    return run


def test_account_add_prints_id_and_bcc_address(invoke):
    result = invoke("account", "add", "Acme Sales")
    assert result.exit_code == 0, result.output
    account = db.session.scalar(db.select(Account).filter_by(name="Acme Sales"))
    assert f"account {account.id} Acme Sales" in result.output
    assert f"log+{account.bcc_key}@bcc.tracklog.test" in result.output
    pipelines = db.session.scalars(db.select(Pipeline).filter_by(account_id=account.id)).all()
    assert sorted(p.object for p in pipelines) == ["deal", "ticket"]


def test_an_account_has_the_currency_it_is_created_with(invoke):
    assert invoke("account", "add", "Acme Sales").exit_code == 0
    assert invoke("account", "add", "Fjällbacka AB", "--currency", "sek").exit_code == 0
    currencies = dict(db.session.execute(db.select(Account.name, Account.currency)).all())
    assert currencies == {"Acme Sales": "USD", "Fjällbacka AB": "SEK"}
    wrong = invoke("account", "add", "Globex", "--currency", "dollars")
    assert wrong.exit_code != 0 and "ISO 4217" in str(wrong.exception)
    assert db.session.scalar(db.select(Account).filter_by(name="Globex")) is None


def test_user_add_and_token_create(invoke):
    invoke("account", "add", "Acme Sales")
    result = invoke(
        "user",
        "add",
        "Alice@Acme.example",
        "--account",
        "Acme Sales",
        "--admin",
        "--password",
        "long enough pw",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="alice@acme.example"))
    assert user.role == "admin" and user.password_hash
    result = invoke("token", "create", "alice@acme.example", "--name", "listener")
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("tlp_")
    assert user_for_token(token).id == user.id


def test_user_mistakes_give_one_line(invoke):
    invoke("account", "add", "Acme Sales")
    duplicate = invoke("account", "add", "Acme Sales")
    assert duplicate.exit_code != 0
    assert "already exists" in str(duplicate.exception or duplicate.output)
    unknown = invoke("user", "add", "bob@acme.example", "--account", "Nope", "--password", "x" * 9)
    assert "no account named Nope" in str(unknown.exception)


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the installed command on a fresh SQLite instance."""
    return {**os.environ, "TRACKLOG_INSTANCE_PATH": str(tmp_path / "instance")}


def run_tracklog(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the installed tracklog command."""
    return subprocess.run([TRACKLOG, *args], env=env, capture_output=True, text=True, timeout=60)


def test_installed_command_reports_mistakes_without_traceback(shell_env):
    assert run_tracklog(shell_env, "db", "upgrade").returncode == 0
    assert run_tracklog(shell_env, "account", "add", "Acme").returncode == 0
    for args in (
        ("account", "add", "Acme"),
        ("user", "add", "not-an-address", "--account", "Acme", "--password", "long enough"),
        ("token", "create", "ghost@acme.example"),
        ("user", "add", "a@acme.example", "--account", "Acme", "--password", "short"),
    ):
        result = run_tracklog(shell_env, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("Error: ")


def test_unreachable_database_is_one_line(shell_env):
    env = {**shell_env, "TRACKLOG_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = run_tracklog(env, "db", "upgrade")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: the database cannot be used")


def test_db_upgrade_and_downgrade(shell_env):
    up = run_tracklog(shell_env, "db", "upgrade")
    assert up.returncode == 0 and "database at revision" in up.stdout
    down = run_tracklog(shell_env, "db", "downgrade", "base")
    assert down.returncode == 0 and "base" in down.stdout


def test_every_command_has_help():
    for args in (
        [],
        ["serve"],
        ["cert"],
        ["db"],
        ["account", "add"],
        ["user", "add"],
        ["token", "create"],
        ["demo"],
        ["reminders", "run"],
    ):
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_env_sample_lists_every_variable_config_reads():
    root = Path(__file__).resolve().parents[1]
    config = (root / "server" / "tracklog" / "config.py").read_text()
    read = set(re.findall(r'"(TRACKLOG_[A-Z_]+)"', config))
    listed = set(re.findall(r"^#?\s*(TRACKLOG_[A-Z_]+)=", (root / ".env.sample").read_text(), re.M))
    assert read - listed == set()
