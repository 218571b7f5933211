"""A non-editable wheel carries templates, static files, migrations, the pane and add-in files."""

from __future__ import annotations

import importlib.util
import os
import shutil
import ssl
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from tests.services import free_port

REPO = Path(__file__).resolve().parent.parent
# Where the repo's carried folders land inside the package (see setup.py).
CARRIED_FOLDERS = {"taskpane": "tracklog/taskpane", "addin": "tracklog/addin/files"}
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "instance",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
    "test-artifacts",
)


def can_build_offline() -> bool:
    """Whether this venv's setuptools can make a wheel without fetching build requirements."""
    return importlib.util.find_spec("wheel") is not None or (
        importlib.util.find_spec("setuptools.command.bdist_wheel") is not None
    )


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without tracklog settings or an inherited PYTHONPATH."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACKLOG_")}
    env.pop("PYTHONPATH", None)
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the work tree, so the build leaves the repo untouched."""
    source = tmp_path_factory.mktemp("source") / "tracklog"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist)]
    if can_build_offline():
        command += ["--no-build-isolation", "--no-index"]
    result = subprocess.run(
        [*command, str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = dist.glob("tracklog-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    """Every path inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed (without dependencies) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q"]
        + ["--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


@pytest.mark.slow
def test_wheel_carries_templates_static_files_migrations_and_office_schemas(
    wheel_names: set[str],
) -> None:
    expected = {
        "tracklog/templates/base.html",
        "tracklog/static/css/app.css",
        "tracklog/migrations/env.py",
        "tracklog/migrations/versions/0001_initial_schema.py",
        "tracklog/addin/schemas/OfficeAppManifestV1_1.xsd",
        "tracklog/addin/schemas/MailAppVersionOverridesV1_1.xsd",
        "tracklog/addin/schemas/SOURCES.md",
        "tracklog/addin/schemas/licences/office-js-docs-pr-LICENSE",
        "tracklog/addin/schemas/licences/office-js-docs-pr-LICENSE-CODE",
        "tracklog/addin/schemas/licences/Outlook-Add-in-SSO-LICENSE.txt",
    }

    assert expected <= wheel_names


@pytest.mark.slow
def test_wheel_declares_the_tracklog_console_script(wheel: Path, wheel_names: set[str]) -> None:
    (entry_points,) = [name for name in wheel_names if name.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()

    lines = [line.replace(" ", "") for line in text.splitlines()]
    assert "[console_scripts]" in lines
    assert "tracklog=tracklog.cli:main" in lines


@pytest.mark.slow
def test_wheel_carries_every_taskpane_and_addin_file(wheel_names: set[str]) -> None:
    expected = set()
    for folder, package_path in CARRIED_FOLDERS.items():
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                expected.add(f"{package_path}/{path.relative_to(REPO / folder).as_posix()}")

    assert expected - wheel_names == set()


INSTALLED_APP_CHECK = """
    import tracklog
    from tracklog import create_app
    from tracklog.migrate import alembic_config
    print(tracklog.__file__)
    print(alembic_config().get_main_option("script_location"))
    client = create_app().test_client()
    print(client.get("/sign-in").status_code)
"""


@pytest.mark.slow
def test_installed_wheel_migrates_and_renders_sign_in_from_its_own_files(
    installed: Path, tmp_path: Path
) -> None:
    env = clean_environment(
        PYTHONPATH=str(installed),
        TRACKLOG_INSTANCE_PATH=str(tmp_path / "instance"),
        TRACKLOG_SECURE_COOKIES="0",
    )
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True, "timeout": 60}

    upgraded = subprocess.run([str(installed / "bin" / "tracklog"), "db", "upgrade"], **run)
    checked = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(INSTALLED_APP_CHECK)], **run, check=False
    )

    checked_manifest = subprocess.run(
        [str(installed / "bin" / "tracklog"), "manifest", "--check", str(REPO / "manifest.xml")],
        **run,
    )

    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip().startswith("database at revision")
    assert checked_manifest.returncode == 0, checked_manifest.stdout + checked_manifest.stderr
    assert checked.returncode == 0, checked.stderr
    package_file, migrations, status = checked.stdout.split()
    assert Path(package_file).is_relative_to(installed)
    assert not Path(package_file).is_relative_to(REPO)
    assert Path(migrations).is_relative_to(installed)
    assert status == "200"


def presented_certificate(process: subprocess.Popen[bytes], port: int, log: Path) -> str:
    """The certificate `tracklog serve` presents (PEM), once it listens."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            return ssl.get_server_certificate(("127.0.0.1", port), timeout=5)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"tracklog serve did not answer:\n{log.read_text(errors='replace')}")


@pytest.mark.slow
def test_installed_serve_cert_and_listen_share_the_users_instance_folder_from_any_directory(
    installed: Path, tmp_path: Path
) -> None:
    data, here, elsewhere = tmp_path / "data", tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    env = clean_environment(
        PYTHONPATH=str(installed), XDG_DATA_HOME=str(data), TRACKLOG_SMTP_PORT=str(free_port())
    )
    tracklog = str(installed / "bin" / "tracklog")
    run = {"env": env, "capture_output": True, "text": True, "timeout": 60}
    assert subprocess.run([tracklog, "db", "upgrade"], cwd=here, **run).returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        served = subprocess.Popen(
            [tracklog, "serve", "--port", str(port), "--workers", "1", "--no-smtpd"],
            cwd=here,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        presented = presented_certificate(served, port, log)
        printed = subprocess.run([tracklog, "cert"], cwd=elsewhere, **run)
        cert = Path(printed.stdout.strip().splitlines()[-1])
        listen = [tracklog, "listen", "--server", f"https://localhost:{port}", "--token", "tlp_x"]
        given = subprocess.run([*listen, "--cafile", str(cert)], cwd=elsewhere, **run)
        default = subprocess.run(listen, cwd=elsewhere, **run)
    finally:
        served.terminate()
        served.wait(timeout=30)

    assert cert == data / "tracklog" / "devcert.pem"
    assert ssl.PEM_cert_to_DER_cert(presented) == ssl.PEM_cert_to_DER_cert(cert.read_text())
    # Exit code 2 is the server refusing the token: the TLS handshake before it was verified.
    assert given.returncode == 2, given.stderr
    assert default.returncode == 2, default.stderr
