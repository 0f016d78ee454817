"""The one import root `braze_harness` over the repository's folders: harness/ is the package, devices/ and
proxy_addons/ its subpackages (`braze_harness.devices`, `braze_harness.proxy_addons`). Everything else is in
pyproject.toml; only this mapping needs code (setuptools cannot discover packages under a mapped name)."""

from setuptools import find_packages, setup

FOLDERS = {"braze_harness": "harness", "braze_harness.devices": "devices", "braze_harness.proxy_addons": "proxy_addons"}

setup(
    package_dir=FOLDERS,
    packages=[
        package for name, folder in FOLDERS.items() for package in [name, *(f"{name}.{sub}" for sub in find_packages(folder))]
    ],
)
