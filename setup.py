"""Package discovery that setup.cfg cannot express: top-level folders carried inside tracklog."""

from setuptools import find_namespace_packages, setup

CARRIED_FOLDERS = {
    "tracklog.migrations": "migrations",
    "tracklog.taskpane": "taskpane",
    "tracklog.addin.files": "addin",
}

packages = find_namespace_packages("server", include=["tracklog", "tracklog.*"])
for package, folder in CARRIED_FOLDERS.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_namespace_packages(folder))]

setup(packages=packages, package_dir={"": "server", **CARRIED_FOLDERS})
