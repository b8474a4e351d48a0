"""One style for every figure of the course: colours, markers, sizes, and a text alternative.

Every public plot function in ``bplib.plots`` is written the same way::

    @style.plot(examples=lambda: [{"depth": 4}, {"depth": 8}])
    def delta_norm_figure(depth: int) -> Figure:
        fig = style.figure(8, 4)                       # width, height in inches (<= 9.5)
        ax = fig.add_subplot()
        ax.semilogy(layers, norms, **style.series(0))  # colour + marker + line style
        ...
        return style.describe(fig, f"... ratio {r:.1e} at depth {depth} ...")

* **Colour** (:data:`PALETTE`): the Okabe–Ito colours, safe for the common colour-vision
  deficiencies, darkened where needed so that every colour used for a line, a marker, a bar
  or a direct label reaches 4.5:1 against white (WCAG 2.1: 3:1 for graphics, 1.4.11, and
  4.5:1 for text, 1.4.3). Okabe–Ito's own orange (2.2:1), sky blue (2.3:1) and yellow (1.3:1)
  fail as lines: they are kept in :data:`FILLS`, for areas that have a dark edge or
  carry no information of their own. Vermillion and green are dark enough to stay above
  4.5:1 as text on the highlight yellow too.
* **Redundant encodings** (:func:`series`): the i-th series has its own colour, marker *and*
  line style, so no two series differ only in colour; :func:`label_lines` writes a label at
  the end of each line (a direct label), so a reader need not match colours to a legend.
* **Size**: text is at least :data:`MIN_FONT_PT` = 10 pt (:data:`RC`) at the size the figure
  is shown. Figures are at most :data:`MAX_WIDTH_IN` inches wide and rendered at
  :data:`PIXEL_RATIO` PNG pixels per CSS pixel, displayed at 96 CSS px per inch: a 9-inch
  figure is 864 CSS px wide (it fits a laptop's notebook column without being scaled down)
  and sharp on a high-density screen.
* **Text alternative** (:func:`describe`, :func:`description`): each figure carries a
  description generated from the data it plots (what it shows, what to notice, the key
  numbers). It becomes the image's ``alt`` text and a visible caption wherever the figure
  is shown: as a cell's result (:class:`CourseFigure`), through :func:`show`, and in
  :class:`bplib.widgets.InteractiveFigure`.
* :func:`audit` lists what breaks these rules in a figure; the tests run it on every plot
  function's examples.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

# --- colour ----------------------------------------------------------------------------------
#: The Okabe–Ito palette as published (Okabe & Ito 2008), for reference and for fills.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
}

BLUE = "#0072B2"        # Okabe–Ito blue, 5.2:1
VERMILLION = "#B34E00"  # Okabe–Ito vermillion #D55E00 darkened: 5.2:1 (was 3.9:1)
GREEN = "#007D5B"       # Okabe–Ito bluish green #009E73 darkened: 5.1:1 (was 3.4:1)
PURPLE = "#BB4D8A"      # Okabe–Ito reddish purple #CC79A7 darkened: 4.6:1 (was 3.1:1)
AMBER = "#9C6C00"       # Okabe–Ito orange #E69F00 darkened: 4.6:1 (was 2.2:1)
BLACK = "#000000"
GREY = "#595959"        # reference lines and secondary text: 7.0:1

#: Colours for lines, markers, bar faces and coloured text, in the order series use them.
PALETTE: tuple[str, ...] = (BLUE, VERMILLION, GREEN, PURPLE, AMBER, BLACK)
#: One marker and one line style per series (the redundant encodings of :func:`series`).
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (1, 1)))

#: Light colours for areas only (bands, regions, highlighted text backgrounds): they fail
#: 3:1 against white, so what they mark must also be told by an edge, a label or a marker.
FILLS = {
    "orange": OKABE_ITO["orange"], "sky blue": OKABE_ITO["sky blue"],
    "yellow": OKABE_ITO["yellow"], "highlight": "#FFF2A8", "light grey": "#E5E5E5",
}

#: Contrast a colour needs against white: graphics (lines, markers, bars) and text.
MIN_GRAPHICS_CONTRAST = 3.0
MIN_TEXT_CONTRAST = 4.5


def relative_luminance(colour: Any) -> float:
    """WCAG 2.x relative luminance of a Matplotlib colour (alpha ignored): 0 black, 1 white."""
    r, g, b, _ = to_rgba(colour)

    def linear(c: float) -> float:  # sRGB transfer function undone
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(colour: Any, background: Any = "white") -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05) of two colours, from 1 to 21. A colour
    with alpha < 1 is first blended onto the background, as it is seen."""
    r, g, b, a = to_rgba(colour)
    br, bg, bb, _ = to_rgba(background)
    seen = (a * r + (1 - a) * br, a * g + (1 - a) * bg, a * b + (1 - a) * bb)
    l1, l2 = sorted((relative_luminance(seen), relative_luminance(background)), reverse=True)
    return (l1 + 0.05) / (l2 + 0.05)


def series(i: int, marker: bool = True, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``ax.plot`` of the i-th series: colour, line style and (unless
    ``marker=False``) marker, all three different from every other series'."""
    k = i % len(PALETTE)
    style = {"color": PALETTE[k], "linestyle": LINESTYLES[k]}
    if marker:
        style["marker"] = MARKERS[k]
    return {**style, **overrides}


def point(i: int, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``ax.scatter``/``ax.plot(..., ls='none')`` of the i-th group:
    its colour and its marker (so groups differ in shape as well as colour)."""
    k = i % len(PALETTE)
    return {"color": PALETTE[k], "marker": MARKERS[k], **overrides}


# --- size ------------------------------------------------------------------------------------
DISPLAY_DPI = 96     # CSS pixels per inch: a w-inch figure is shown w * 96 CSS px wide
PIXEL_RATIO = 2      # PNG pixels per CSS pixel: sharp on high-density (laptop) screens
RENDER_DPI = DISPLAY_DPI * PIXEL_RATIO
MAX_WIDTH_IN = 9.5   # shown at most 912 CSS px wide: fits the notebook column of a 1366-px
                     # laptop window; style.figure() leaves 0.25 in for the saved margin
MAX_FIGURE_WIDTH_IN = MAX_WIDTH_IN - 0.25
MIN_FONT_PT = 10.0

#: rcParams every plot function draws under (through :func:`plot`).
RC: dict[str, Any] = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 13,
    "axes.prop_cycle": cycler(color=PALETTE, linestyle=LINESTYLES),
    "lines.linewidth": 2.0,
    "lines.markersize": 6.0,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "black",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "grid.color": "#B0B0B0",
    "grid.alpha": 0.6,
    "legend.framealpha": 0.9,
    "image.cmap": "cividis",  # sequential maps: perceptually uniform and CVD-safe
    "figure.dpi": DISPLAY_DPI,
    "savefig.dpi": RENDER_DPI,
}

#: Diverging colour map for signed values (blue-white-red reads under the common CVDs).
DIVERGING = "RdBu_r"


class CourseFigure(Figure):
    """A Matplotlib figure that shows itself with its text alternative: as a cell's result
    (or through ``display``) it is an HTML ``<figure>`` with ``<img alt=...>`` and a caption,
    with the PNG beside it for viewers that take no HTML (see :func:`mimebundle`)."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        return mimebundle(self)


def figure(width: float, height: float, **kwargs: Any) -> CourseFigure:
    """A new :class:`CourseFigure` of ``width`` x ``height`` inches (constrained layout)."""
    if not 0 < width <= MAX_FIGURE_WIDTH_IN:
        raise ValueError(f"width: expected 0 < width <= {MAX_FIGURE_WIDTH_IN} inches (wider "
                         f"figures are "
                         f"scaled down on a laptop and their text shrinks below "
                         f"{MIN_FONT_PT:g} pt), got {width}")
    kwargs.setdefault("layout", "constrained")
    return CourseFigure(figsize=(width, height), **kwargs)


# --- text alternative ------------------------------------------------------------------------
_DESCRIPTION = "_bplib_description"


def describe(fig: Figure, text: str) -> Figure:
    """Attach ``text`` (what the figure shows, what to notice, with its key numbers) to
    ``fig`` as its text alternative; returns ``fig``."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig: expected a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text: expected a non-empty description of the figure, got {text!r}")
    setattr(fig, _DESCRIPTION, " ".join(text.split()))
    return fig


def description(fig: Figure) -> str | None:
    """The text alternative attached by :func:`describe`, or None."""
    return getattr(fig, _DESCRIPTION, None)


def text_alternative(fig: Figure) -> str:
    """:func:`description`, or for a figure without one a fallback from its titles and axis
    labels ("Figure: <title>; <y label> against <x label>")."""
    text = description(fig)
    if text:
        return text
    parts = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(_plain(suptitle.get_text()))
    for ax in fig.axes:
        bits = [_plain(ax.get_title())] if ax.get_title() else []
        if ax.get_xlabel() and ax.get_ylabel():
            bits.append(f"{_plain(ax.get_ylabel())} against {_plain(ax.get_xlabel())}")
        if bits:
            parts.append(", ".join(bits))
    return "Figure: " + ("; ".join(parts) if parts else "no description given")


def _plain(text: str) -> str:
    """Mathtext made readable as plain text: $\\delta_l$ -> delta_l, braces and $ dropped."""
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return re.sub(r"[${}]", "", text).strip()


# --- rendering and display -------------------------------------------------------------------
def png(fig: Figure, dpi: float = RENDER_DPI, colours: int | None = 256) -> bytes:
    """The figure as PNG bytes at ``dpi`` (tight bounding box, no timestamp: reproducible),
    reduced to a palette of ``colours`` colours (about a third of the bytes of a full-colour
    PNG, with no visible change for line art and colour maps; None keeps full colour)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    if not colours:
        return buf.getvalue()
    from PIL import Image  # a dependency of Matplotlib

    buf.seek(0)
    image = Image.open(buf).convert("RGB")  # course figures have an opaque white background
    out = io.BytesIO()
    image.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True)
    return out.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from a PNG's header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("data: expected PNG bytes")
    return struct.unpack(">II", data[16:24])


def css_size(data: bytes) -> tuple[int, int]:
    """The size, in CSS pixels, at which a PNG from :func:`png` is shown."""
    w, h = png_size(data)
    return round(w / PIXEL_RATIO), round(h / PIXEL_RATIO)


def img_tag(data: bytes, alt: str, extra: str = "") -> str:
    """``<img>`` of PNG bytes as a data URL, at its CSS size, with ``alt`` text."""
    w, h = css_size(data)
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (f'<img src="{src}" alt="{html.escape(alt)}" width="{w}" height="{h}" '
            f'style="max-width: 100%; height: auto"{extra}>')


def figure_html(data: bytes, text: str) -> str:
    """``<figure>`` with the image (alt = ``text``) and ``text`` as its visible caption."""
    return (f'<figure class="bplib-figure" style="margin: 0">{img_tag(data, text)}'
            f'<figcaption class="bplib-caption">{html.escape(text)}</figcaption></figure>')


def mimebundle(fig: Figure) -> tuple[dict, dict]:
    """(data, metadata) to display ``fig`` with its text alternative (see
    :func:`figure_mimebundle`)."""
    return figure_mimebundle(png(fig), text_alternative(fig))


def figure_mimebundle(data: bytes, text: str) -> tuple[dict, dict]:
    """(data, metadata) to display a PNG described by ``text``: ``text/html`` (``<figure>``,
    alt text, caption), ``image/png`` (for viewers without HTML; its metadata carries the
    size and the alt text) and ``text/plain`` (the description)."""
    w, h = css_size(data)
    bundle = {"text/html": figure_html(data, text),
              "image/png": base64.b64encode(data).decode("ascii"),
              "text/plain": text}
    return bundle, {"image/png": {"width": w, "height": h, "alt": text}}


def show(fig: Figure, text: str | None = None, display_id: str | bool | None = None) -> Any:
    """Display any Matplotlib figure (pyplot's too) with its alt text and caption; ``text``
    sets its description first. Returns IPython's DisplayHandle when ``display_id`` is given."""
    from IPython.display import display

    if text is not None:
        describe(fig, text)
    data, metadata = mimebundle(fig)
    return display(data, raw=True, metadata=metadata, display_id=display_id)


# --- direct labels ---------------------------------------------------------------------------
def label_lines(ax: Any, lines: Sequence[Any] | None = None, texts: Iterable[str] | None = None,
                fontsize: float = 10, pad_pt: float = 4) -> list[Any]:
    """Write a label at the right end of each line, in the line's colour (a direct label: the
    reader need not match colours to a legend). ``texts`` default to the lines' labels."""
    lines = list(ax.get_lines() if lines is None else lines)
    texts = [ln.get_label() for ln in lines] if texts is None else list(texts)
    out = []
    for ln, text in zip(lines, texts, strict=True):
        x, y = ln.get_xdata(), ln.get_ydata()
        if len(x) == 0 or not text or text.startswith("_"):
            continue
        out.append(ax.annotate(text, (x[-1], y[-1]), xytext=(pad_pt, 0),
                               textcoords="offset points", va="center", ha="left",
                               fontsize=fontsize, color=ln.get_color(), annotation_clip=False))
    return out


# --- rules -----------------------------------------------------------------------------------
def audit(fig: Figure) -> list[str]:
    """What in ``fig`` breaks the course's figure rules, one line per problem (empty: none):
    a description, width <= MAX_WIDTH_IN as saved, text >= MIN_FONT_PT, lines/markers/bars
    >= 3:1 and coloured text >= 4.5:1 against white."""
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    problems = []
    if not description(fig):
        problems.append("no description (call style.describe(fig, text))")
    # the saved (tight) width in inches does not depend on the dpi: measure it cheaply
    w_css = png_size(png(fig, dpi=24, colours=None))[0] / 24 * DISPLAY_DPI
    if w_css > MAX_WIDTH_IN * DISPLAY_DPI + 4:
        problems.append(f"shown {w_css:.0f} CSS px wide, over {MAX_WIDTH_IN * DISPLAY_DPI:.0f}")
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip() or t.figure is None:
            continue
        if t.get_fontsize() < MIN_FONT_PT:
            problems.append(f"text {t.get_text()[:30]!r} is {t.get_fontsize():g} pt")
        background = "white"
        patch = t.get_bbox_patch()
        if patch is not None and patch.get_facecolor()[3] > 0:
            background = patch.get_facecolor()
        if relative_luminance(t.get_color()) > 0.5 and background == "white":
            continue  # light text is drawn on a dark fill (e.g. a label inside a bar)
        if contrast_ratio(t.get_color(), _opaque(background)) < MIN_TEXT_CONTRAST:
            problems.append(f"text {t.get_text()[:30]!r} in {t.get_color()} has contrast "
                            f"{contrast_ratio(t.get_color(), _opaque(background)):.2f}:1")
    for ax in fig.axes:
        for ln in ax.get_lines():
            if not ln.get_visible() or ln.get_gid() == "decoration":
                continue
            drawn = ln.get_linestyle() not in ("None", "none", "") or \
                ln.get_marker() not in ("None", "none", "", None)
            if drawn and contrast_ratio(ln.get_color()) < MIN_GRAPHICS_CONTRAST:
                problems.append(f"line {ln.get_label()!r} in {ln.get_color()} has contrast "
                                f"{contrast_ratio(ln.get_color()):.2f}:1")
        for coll in ax.collections:
            if isinstance(coll, PathCollection) and coll.get_gid() != "decoration":
                colours = list(coll.get_facecolors()) + list(coll.get_edgecolors())
                best = max((contrast_ratio(c) for c in colours), default=21.0)
                if best < MIN_GRAPHICS_CONTRAST:
                    problems.append(f"markers {coll.get_label()!r} have contrast {best:.2f}:1")
        for p in ax.patches:
            if not isinstance(p, Patch) or not p.get_visible() or p.get_gid() == "decoration":
                continue
            face = contrast_ratio(p.get_facecolor())
            edge = contrast_ratio(p.get_edgecolor()) if p.get_linewidth() > 0 else 1.0
            if max(face, edge) < MIN_GRAPHICS_CONTRAST and p.get_facecolor()[3] > 0:
                problems.append(f"patch {p.get_label()!r} has neither a face nor an edge with "
                                f"contrast >= {MIN_GRAPHICS_CONTRAST:g}:1 (face {face:.2f}:1)")
    return problems


def _opaque(colour: Any) -> tuple[float, float, float]:
    r, g, b, a = to_rgba(colour)
    return (a * r + 1 - a, a * g + 1 - a, a * b + 1 - a)


# --- the decorator of every plot function ----------------------------------------------------
def plot(examples: Callable[[], list[dict[str, Any]]]) -> Callable:
    """Mark a public plot function: it draws under :data:`RC` and must return a figure with a
    description (a ValueError names the function otherwise). ``examples()`` returns keyword
    arguments for at least two calls with different data; the tests draw each and check
    the figure (:func:`audit`) and that the descriptions follow the data."""

    def decorate(fn: Callable[..., Figure]) -> Callable[..., Figure]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Figure:
            with mpl.rc_context(RC):
                fig = fn(*args, **kwargs)
            if not isinstance(fig, Figure) or not description(fig):
                raise ValueError(f"{fn.__qualname__}: expected a figure with a description "
                                 f"(style.describe(fig, text)), got {type(fig).__name__} "
                                 f"without one")
            return fig

        wrapper.examples = examples  # type: ignore[attr-defined]
        return wrapper

    return decorate


def is_plot_function(obj: Any) -> bool:
    """True for a function decorated with :func:`plot`."""
    return callable(obj) and callable(getattr(obj, "examples", None)) \
        and hasattr(obj, "__wrapped__")


def fmt_number(x: float, digits: int = 3) -> str:
    """A number as a description writes it: ``digits`` significant digits, "1.2e-5" style
    (two digits) when tiny or huge, thousands separated ("0.25", "1.2e-5", "4,096")."""
    x = float(x)
    if x == 0 or x != x or x in (float("inf"), float("-inf")):
        return f"{x:g}"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if x.is_integer() or abs(x) >= 10 ** (digits - 1):  # "61,234", not "6.12e+04"
        return f"{round(x):,}"
    return f"{x:.{digits}g}"
