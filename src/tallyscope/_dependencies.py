"""Optional dependencies, imported only when they are used.

matplotlib and jinja2 are the ``[plot]`` extra: ``import tallyscope`` (and even
``import tallyscope.plots``) must work without them, and a missing package must fail only
where it is needed, with a message that says what to install. :data:`matplotlib` and
:data:`jinja2` are proxy modules that import the real package on first attribute access;
:func:`import_optional` imports one on demand.

    from tallyscope._dependencies import matplotlib   # imports nothing yet
    matplotlib.figure.Figure()                         # imports matplotlib.figure now
"""

from __future__ import annotations

import importlib
import types
from typing import Any

from tallyscope.exceptions import TallyscopeError

__all__ = [
    "EXTRAS",
    "MissingDependencyError",
    "import_optional",
    "jinja2",
    "matplotlib",
]

#: Optional package -> the extra of tallyscope that installs it.
EXTRAS = {"matplotlib": "plot", "jinja2": "plot", "markupsafe": "plot"}


class MissingDependencyError(TallyscopeError, ModuleNotFoundError):
    """An optional package needed for what was asked is not installed."""


def _install_hint(name: str) -> str:
    top = name.partition(".")[0]
    extra = EXTRAS.get(top)
    if extra is None:
        return f'pip install "{top}"'
    return f'pip install "tallyscope[{extra}]"'


def import_optional(name: str, *, purpose: str | None = None) -> types.ModuleType:
    """Import the optional module ``name`` (e.g. ``"matplotlib.figure"``), or raise
    :class:`MissingDependencyError` naming what to install."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        top = name.partition(".")[0]
        why = f" for {purpose}" if purpose else ""
        message = f"{top} is needed{why} but is not installed: {_install_hint(name)}"
        raise MissingDependencyError(message, name=top) from error


class _LazyModule(types.ModuleType):
    """A stand-in for an optional module: the first attribute access imports it.

    Submodules are reached as attributes (``matplotlib.figure``) and imported on demand too.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_tallyscope_module"] = None

    def _load(self) -> types.ModuleType:
        module = self.__dict__["_tallyscope_module"]
        if module is None:
            module = import_optional(self.__name__)
            self.__dict__["_tallyscope_module"] = module
        return module

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        module = self._load()
        try:
            return getattr(module, attr)
        except AttributeError:
            # a submodule that its package does not import by itself
            return import_optional(f"{self.__name__}.{attr}")

    def __repr__(self) -> str:
        loaded = self.__dict__["_tallyscope_module"] is not None
        return f"<lazy module {self.__name__!r} ({'loaded' if loaded else 'not loaded'})>"


#: matplotlib, imported on first use.
matplotlib: Any = _LazyModule("matplotlib")
#: jinja2, imported on first use.
jinja2: Any = _LazyModule("jinja2")
