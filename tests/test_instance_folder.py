"""One instance folder for every command: the variable, else the checkout's, else the user's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracklog.config import Config, instance_path

REPO = Path(__file__).resolve().parents[1]


def fake_layout(root: Path, *parts: str, checkout: bool) -> Path:
    """A tracklog package folder at root/parts, inside a checkout (with setup.cfg) or not."""
    package = root.joinpath(*parts, "tracklog")
    package.mkdir(parents=True)
    if checkout:
        (root / "setup.cfg").write_text("[metadata]\nname = tracklog\n")
    return package


def test_running_from_this_checkout_uses_its_instance_folder_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert Config({}).INSTANCE_PATH == str(REPO / "instance")


def test_the_variable_wins_and_a_relative_one_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert instance_path({"TRACKLOG_INSTANCE_PATH": "data"}) == tmp_path / "data"
    assert instance_path({"TRACKLOG_INSTANCE_PATH": str(tmp_path / "x")}) == tmp_path / "x"


def test_a_checkout_layout_gives_its_instance_folder(tmp_path: Path) -> None:
    package = fake_layout(tmp_path, "server", checkout=True)

    assert instance_path({}, package) == tmp_path / "instance"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG is the Linux rule")
def test_an_installed_package_uses_the_users_data_folder(tmp_path: Path) -> None:
    package = fake_layout(tmp_path, "lib", "site-packages", checkout=False)
    data = tmp_path / "data"

    assert instance_path({"XDG_DATA_HOME": str(data)}, package) == data / "tracklog"
    assert instance_path({"XDG_DATA_HOME": "relative"}, package) == (
        Path.home() / ".local" / "share" / "tracklog"
    )


def test_make_sets_no_instance_folder_of_its_own() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACKLOG_")}
    printed = subprocess.run(
        ["make", "-pn", "-C", str(REPO), "run"], capture_output=True, text=True, env=env, timeout=30
    )

    assert "TRACKLOG_INSTANCE_PATH" not in printed.stdout
