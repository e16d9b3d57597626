"""What every plot shares: the house style, new axes, saving, SVG for the report, labels.

Figures are made without pyplot (``matplotlib.figure.Figure``), so no window and no global
backend is involved: a figure is drawn by the Agg renderer when it is saved.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tallyscope._dependencies import import_optional, matplotlib

__all__ = [
    "COLORS",
    "figure_of",
    "format_count",
    "new_axes",
    "save",
    "short_name",
    "styled",
    "to_svg",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The report's palette: ink, muted text, hairlines, the tested party, the clean reference.
COLORS = {
    "ink": "#1f2933",
    "muted": "#66707a",
    "hairline": "#d9dde2",
    "grid": "#eceff2",
    "leader": "#b2182b",
    "clean": "#2166ac",
    "null": "#8da0b3",
    "others": ("#3b6ea5", "#5b9a68", "#c9822b", "#8c6d9e", "#4f9da6", "#a0705a"),
    "rest": "#b9c0c7",
}

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib and has Cyrillic
    "font.size": 9.0,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10.0,
    "axes.labelsize": 9.0,
    "axes.labelcolor": COLORS["ink"],
    "axes.edgecolor": COLORS["muted"],
    "axes.linewidth": 0.7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": COLORS["grid"],
    "grid.linewidth": 0.7,
    "xtick.color": COLORS["muted"],
    "ytick.color": COLORS["muted"],
    "xtick.labelcolor": COLORS["ink"],
    "ytick.labelcolor": COLORS["ink"],
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "xtick.major.width": 0.7,
    "ytick.major.width": 0.7,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "text.color": COLORS["ink"],
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "path",  # text as outlines: the SVG looks the same on every machine
    "svg.hashsalt": "tallyscope",  # stable ids: the same figure gives the same file
    "image.interpolation": "nearest",
}


@contextlib.contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def styled(function: F) -> F:
    """Draw under the house style (a plot function's body runs inside ``rc_context``)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _style():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def new_axes(ax: Any, figsize: tuple[float, float], **subplot: Any) -> Any:
    """``ax`` itself, or the axes of a new figure of ``figsize`` inches (constrained layout)."""
    if ax is not None:
        return ax
    figure_module = import_optional("matplotlib.figure", purpose="plotting")
    figure = figure_module.Figure(figsize=figsize, layout="constrained")
    return figure.add_subplot(**subplot)


def new_axes_grid(ax: Any, n: int, figsize: tuple[float, float], **subplots: Any) -> list[Any]:
    """``n`` axes: the ones given in ``ax`` (a sequence of ``n``), or those of a new figure."""
    if ax is not None:
        axes = list(ax.ravel()) if hasattr(ax, "ravel") else list(ax)
        if len(axes) != n:
            raise ValueError(f"ax must hold {n} axes, not {len(axes)}")
        return axes
    figure_module = import_optional("matplotlib.figure", purpose="plotting")
    figure = figure_module.Figure(figsize=figsize, layout="constrained")
    return list(figure.subplots(**subplots).ravel())


def finish(ax: Any, *, grid: str | None = "y") -> None:
    """The house details that rc settings do not reach once drawing starts."""
    ax.tick_params(colors=COLORS["muted"], labelcolor=COLORS["ink"], width=0.7, length=3)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(COLORS["muted"])
        ax.spines[side].set_linewidth(0.7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(True, axis=grid, color=COLORS["grid"], linewidth=0.7)
        ax.set_axisbelow(True)


def figure_of(obj: Any) -> Any:
    """The figure of an Axes, of a sequence of Axes, or a figure itself."""
    if hasattr(obj, "savefig"):
        return obj
    if hasattr(obj, "get_figure"):
        return obj.get_figure(root=True) if _has_root(obj) else obj.get_figure()
    items = list(obj.ravel()) if hasattr(obj, "ravel") else list(obj)
    if not items:
        raise ValueError("no axes given")
    return figure_of(items[0])


def _has_root(ax: Any) -> bool:
    try:
        ax.get_figure(root=True)
    except TypeError:
        return False
    return True


def save(obj: Any, path: str | Path, *, dpi: float = 200) -> Path:
    """Write the figure of ``obj`` (Axes, axes, or Figure) to ``path``; the suffix gives the
    format (``.png``, ``.svg``, ``.pdf``). Returns the path."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"cannot write {path.name!r}: use a .png, .svg or .pdf file name")
    with _style():
        figure_of(obj).savefig(path, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    return path


def _metadata(fmt: str) -> dict[str, Any]:
    """Metadata without dates, so that the same figure gives the same file."""
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    return {"Software": "tallyscope (matplotlib)"}


def to_svg(obj: Any, *, prefix: str = "f", title: str | None = None) -> str:
    """The figure of ``obj`` as an ``<svg>`` element to inline in HTML: no XML prologue,
    scaled to its container's width, every id prefixed with ``prefix`` (so several figures
    can share one page), and ``title`` as its accessible name."""
    buffer = io.BytesIO()
    with _style():
        figure_of(obj).savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, count=1, flags=re.S)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    head_end = svg.index(">")
    head = svg[:head_end]
    head = re.sub(r'\swidth="[^"]*"', "", head, count=1)
    head = re.sub(r'\sheight="[^"]*"', "", head, count=1)
    label = f' role="img" aria-label="{_attr(title)}"' if title else ' role="img"'
    head += f' class="figure-svg" preserveAspectRatio="xMidYMid meet"{label}'
    return head + svg[head_end:]


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


# -- labels ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*\d+\.\s*")
_GENERIC = re.compile(
    r"^(общественная\s+организация\s+)?(всероссийская\s+)?(политическая\s+партия\s+)?",
    flags=re.IGNORECASE,
)
_CAPS_WORD = r"(?<!\w)[A-ZА-ЯЁ][A-ZА-ЯЁ/-]*(?!\w)"
_CAPS_RUN = re.compile(rf"{_CAPS_WORD}(?:\s+{_CAPS_WORD})*")
_QUOTES = "\"«»“”„'"


def _initials(text: str) -> str:
    parts = [p for p in re.split(r"[\s-]+", text) if len(p) > 1 and p[0].isalpha()]
    return "".join(p[0].upper() for p in parts)


def short_name(name: str, *, width: int = 30) -> str:
    """A short label for a party or candidate (for legends; tables show the full name).

    The ballot number and generic words ("Всероссийская политическая партия") go; a name in
    capitals inside the rest is kept ("ЕДИНАЯ РОССИЯ", "ЯБЛОКО"); a long name of three or
    more words becomes its initials ("Коммунистическая партия Российской Федерации" ->
    "КПРФ"); a person's first name and patronymic become initials ("Путин Владимир
    Владимирович" -> "Путин В. В."); at most ``width`` characters."""
    text = _NUMBER.sub("", name).strip()
    words = text.split()
    if (
        len(words) == 3
        and all(w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words)
        and words[2].endswith(("вич", "вна", "ич", "на", "оглы", "кызы"))
    ):
        return f"{words[0]} {words[1][0]}. {words[2][0]}."
    rest = _GENERIC.sub("", text).strip() or text
    runs = [r for r in _CAPS_RUN.findall(rest) if sum(c.isalpha() for c in r) >= 4]
    if runs:
        rest = runs[0]
    rest = rest.strip(_QUOTES + " ").replace("«", "").replace("»", "")
    rest = re.sub(r"\s*\(.*?\)\s*$", "", rest).strip(_QUOTES + " ") or rest
    if len(rest) > width and len(rest.split()) >= 3:
        rest = _initials(rest)
    if len(rest) > width:
        rest = rest[: width - 1].rstrip() + "…"
    return rest


def format_count(value: float, _position: Any = None) -> str:
    """Axis labels for counts: 950, 12k, 1.2M."""
    magnitude = abs(value)
    if magnitude >= 1e6:
        text = f"{value / 1e6:.3g}M"
    elif magnitude >= 1e3:
        text = f"{value / 1e3:.3g}k"
    else:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:g}"
    return text.replace("-", "\u2212")


def clip_last_bin(
    ax: Any, edges: Any, rest: float, last: float, *, headroom: float, color: str
) -> float:
    """Cut the y axis above the bins before the last (``rest``) when the closed last bin
    (exactly 100 %) towers over them, and label that bin with its height; returns the ceiling."""
    ceiling = max(rest * headroom, 1.0)
    if last <= ceiling:
        ax.set_ylim(bottom=0)
        return ceiling
    ax.set_ylim(0, ceiling)
    ax.annotate(
        f"{edges[-2]:g}–{edges[-1]:g} %: {format_count(last)} ↑",
        xy=(1.0, 1.0),
        xycoords="axes fraction",
        xytext=(0, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=7.5,
        color=color,
    )
    return ceiling
