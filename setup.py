"""The one import root `braze_harness` over the repository's folders: harness/ is the package, devices/ and
proxy_addons/ its subpackages (`braze_harness.devices`, `braze_harness.proxy_addons`). Everything else is in
pyproject.toml; only this mapping needs code (setuptools cannot discover packages under a mapped name), and so does
shipping the npm pins: package.json and package-lock.json live at the repository root (`./qa` runs `npm ci` there) and
are copied into the wheel as braze_harness/node/ for `braze-harness setup` (harness/node_tools.py)."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

FOLDERS = {"braze_harness": "harness", "braze_harness.devices": "devices", "braze_harness.proxy_addons": "proxy_addons"}
NPM_PINS = ("package.json", "package-lock.json")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads them from the checkout
            return
        target = Path(self.build_lib) / "braze_harness" / "node"
        target.mkdir(parents=True, exist_ok=True)
        for name in NPM_PINS:
            shutil.copyfile(Path(__file__).parent / name, target / name)


setup(
    package_dir=FOLDERS,
    packages=[
        package for name, folder in FOLDERS.items() for package in [name, *(f"{name}.{sub}" for sub in find_packages(folder))]
    ],
    cmdclass={"build_py": BuildPy},
)
