"""Package discovery that setup.cfg cannot express: top-level folders carried inside tracklog."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

CARRIED_FOLDERS = {
    "tracklog.migrations": "migrations",
    "tracklog.taskpane": "taskpane",
    "tracklog.addin.files": "addin",
}

# git does not keep empty folders: a carried folder without files yet is simply left out.
carried = {package: folder for package, folder in CARRIED_FOLDERS.items() if Path(folder).is_dir()}
packages = find_namespace_packages("server", include=["tracklog", "tracklog.*"])
for package, folder in carried.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_namespace_packages(folder))]

setup(packages=packages, package_dir={"": "server", **carried})
