"""repo-harden: find the weak links in a software supply chain."""

from pathlib import Path as _Path

__version__ = "0.1.0"

# In a source checkout, the layers `checks/` and `hooks/` sit beside this package
# and are installed as `repo_harden.checks` and `repo_harden.hooks`; links in this
# folder give the checkout the same shape. A checkout made without symbolic links
# (git on Windows without core.symlinks) has files there instead: then let this
# package find those layers beside it.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "checks" / "__init__.py").is_file() and not (
    _Path(__file__).parent / "checks"
).is_dir():
    __path__.append(str(_checkout))
