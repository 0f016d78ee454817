"""Dev only: map braze_harness.* onto the checkout in $PWD (a git worktree) instead of main's editable install."""
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

_ROOT = Path(os.environ.get("BRAZE_DEV_ROOT", os.getcwd()))
_MAP = {"braze_harness.proxy_addons": _ROOT / "proxy_addons", "braze_harness.devices": _ROOT / "devices", "braze_harness": _ROOT / "harness"}


class _WorktreeFinder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        for pkg, folder in _MAP.items():
            if fullname == pkg or fullname.startswith(pkg + "."):
                rest = fullname[len(pkg):].lstrip(".").split(".") if fullname != pkg else []
                base = folder.joinpath(*rest)
                if (base / "__init__.py").exists():
                    return importlib.util.spec_from_file_location(fullname, base / "__init__.py", submodule_search_locations=[str(base)])
                if base.with_suffix(".py").exists():
                    return importlib.util.spec_from_file_location(fullname, base.with_suffix(".py"))
                return None
        return None


sys.meta_path.insert(0, _WorktreeFinder)
