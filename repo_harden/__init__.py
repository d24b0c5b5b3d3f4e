"""repo-harden: find the weak links in a software supply chain."""

from pathlib import Path as _Path

__version__ = "0.1.0"

# In a source checkout, the layers `checks/` and `hooks/` sit beside this package
# and are installed as `repo_harden.checks` and `repo_harden.hooks`. When the
# checkout itself is on sys.path (pytest, `python -m` from the root), this
# package shadows the installed one, so let it find those layers there too.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "checks" / "__init__.py").is_file() and not (
    _Path(__file__).parent / "checks"
).is_dir():
    __path__.append(str(_checkout))
