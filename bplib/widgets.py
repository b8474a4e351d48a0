"""Thin ipywidgets wrappers over pure plotting functions, accessible by keyboard and screen reader.

Every interactive figure in the notebooks is a pure function ``plot_fn(**values) -> Figure``
(testable without a browser; see :mod:`bplib.plots.style`) wrapped by
:func:`interactive_figure`, with controls made by the helpers of this module::

    interactive_figure(
        S.delta_norm_figure,
        depth=slider("number of hidden layers", "L", value=8, min=1, max=20),
        activation=choice("activation function", "S", options=["logistic", "relu", "tanh"]),
        scale=slider("weight scale", value=1.0, min=0.25, max=4.0, step=0.25),
    )

What each piece does for the reader:

* **Controls have names in words** (with the slide's symbol after them): a screen reader
  says "number of hidden layers L, slider, 8", not "slider". :class:`InteractiveFigure`
  refuses a control whose label has no word in it.
* **Every slider is paired with a number field** (a labelled ``<input type=number>``, kept
  equal to the slider in the browser by ``jslink``): type an exact value, or use the arrow
  keys in either.
* **Choices are toggle buttons, not dropdowns**: inside JupyterLab the notebook takes the
  up/down arrow keys from a dropdown, so it cannot be used from the keyboard. Toggle buttons
  are reached with Tab and pressed with Space or Enter. Sliders move with Left/Right.
* **The figure has a text alternative**: the description the plot function attached
  (:func:`bplib.plots.style.describe`) is the image's ``alt`` text and a visible caption
  below it; both change with every redraw, and the caption is a polite live region
  (``aria-live="polite"``), so a screen reader announces the new description.

Two things ipywidgets 8 cannot express from Python are done by a few lines of script that the
browser runs when the figure's image loads (:data:`A11Y_SCRIPT`; it only touches this figure's
own controls and is re-run on every redraw): noUiSlider, which draws ipywidgets' sliders, gives
its handle (``div role="slider"``) no accessible name, and the ``<label>`` beside it is not
associated with it (a ``div`` is not labelable), so the script points the handle's
``aria-labelledby`` at the label; and ipywidgets replaces an HTML widget's content on every
update, so the live region must be the widget's own container, which the script marks. The
script also marks toggle buttons with ``aria-pressed`` and names their group.

Headless runs (nbval, nbconvert) and static viewers cannot render widgets, so the widget's
display bundle also carries the current figure as ``text/html`` (``<figure>`` with
``<img alt>`` and ``<figcaption>``), ``image/png`` and ``text/plain`` (the description).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from .plots import style

#: Runs in the browser when the figure's <img> loads (see the module docstring). ``this`` is
#: the image; everything it changes is inside the same InteractiveFigure.
A11Y_SCRIPT = """(function (img) {
  function fix() {
    var root = img.closest('.bplib-interactive');
    if (!root) return;
    function labelled(el, label) {
      if (!label || !label.textContent.trim()) return;
      if (!label.id) label.id = 'bplib-label-' + Math.random().toString(36).slice(2);
      el.setAttribute('aria-labelledby', label.id);
    }
    root.querySelectorAll('.widget-slider').forEach(function (s) {
      var h = s.querySelector('.noUi-handle');
      if (h) labelled(h, s.querySelector('.widget-label'));
    });
    root.querySelectorAll('.widget-toggle-buttons').forEach(function (t) {
      var first = t.querySelector('button');
      if (first) {
        first.parentElement.setAttribute('role', 'group');
        labelled(first.parentElement, t.querySelector('.widget-label'));
      }
      t.querySelectorAll('button').forEach(function (b) {
        b.setAttribute('aria-pressed', String(b.classList.contains('mod-active')));
      });
    });
    var live = root.querySelector('.bplib-caption .widget-html-content');
    if (live && live.getAttribute('aria-live') !== 'polite') {
      live.setAttribute('aria-live', 'polite');
      live.setAttribute('aria-atomic', 'true');
    }
  }
  fix(); setTimeout(fix, 300); setTimeout(fix, 1500);
})(this)"""

#: At least one word (three letters or more) in every control's label.
_WORD = re.compile(r"[A-Za-z]{3,}")
_SLIDERS = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)


# --- controls --------------------------------------------------------------------------------
def _label(name: str, symbol: str | None) -> str:
    if not isinstance(name, str) or not _WORD.search(name):
        raise ValueError(f"name: expected the quantity in words (e.g. 'learning rate'), "
                         f"got {name!r}")
    return f"{name} {symbol}" if symbol else name


def slider(name: str, symbol: str | None = None, *, value: float, min: float, max: float,
           step: float | None = None, log: bool = False, base: float = 10.0,
           readout_format: str | None = None) -> widgets.Widget:
    """A slider labelled "``name`` ``symbol``" (e.g. ``slider("learning rate", "α", ...)``).

    Integers everywhere (value, min, max, step) give an IntSlider, otherwise a FloatSlider;
    ``log=True`` gives a FloatLogSlider from ``min`` to ``max`` (values, not exponents) with
    ``step`` in powers of ``base`` (default 0.1). :class:`InteractiveFigure` shows it with a
    number field bound to it.
    """
    label = _label(name, symbol)
    if not min <= value <= max:
        raise ValueError(f"value: expected {min} <= value <= {max}, got {value}")
    kwargs: dict[str, Any] = {"description": label, "continuous_update": False}
    if readout_format:
        kwargs["readout_format"] = readout_format
    if log:
        import math

        if min <= 0:
            raise ValueError(f"min: a log slider needs min > 0, got {min}")
        def exponent(v: float) -> float:  # log10 is exact at powers of ten
            return math.log10(v) if base == 10 else math.log(v, base)

        return widgets.FloatLogSlider(value=value, base=base, min=exponent(min),
                                      max=exponent(max),
                                      step=0.1 if step is None else step, **kwargs)
    numbers = (value, min, max, 1 if step is None else step)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in numbers):
        return widgets.IntSlider(value=value, min=min, max=max, step=numbers[3], **kwargs)
    return widgets.FloatSlider(value=value, min=min, max=max,
                               step=(max - min) / 100 if step is None else step, **kwargs)


def choice(name: str, symbol: str | None = None, *, options: Sequence[Any],
           value: Any = None) -> widgets.ToggleButtons:
    """Toggle buttons labelled "``name`` ``symbol``", one per option (values, or (label, value)
    pairs); ``value`` defaults to the first option."""
    label = _label(name, symbol)
    options = list(options)
    if not options:
        raise ValueError("options: expected at least one option, got none")
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    if value is None:
        value = values[0]
    if value not in values:
        raise ValueError(f"value: expected one of {values}, got {value!r}")
    w = widgets.ToggleButtons(options=options, value=value, description=label)
    w.style.button_width = "auto"
    return w


def text(name: str, symbol: str | None = None, *, value: str,
         placeholder: str = "") -> widgets.Text:
    """A text box labelled "``name`` ``symbol``"; the figure redraws on Enter or leaving it."""
    return widgets.Text(value=value, description=_label(name, symbol), placeholder=placeholder,
                        continuous_update=False)


def number_field(control: widgets.Widget) -> tuple[widgets.Widget, widgets.widget_link.Link]:
    """A number field bound to a slider, and the link that binds them (``jslink``: they stay
    equal in the browser, without the kernel). The field is labelled with the slider's words;
    its label is clipped to zero width, as the slider's label beside it shows the words."""
    label = control.description
    common = {"description": label, "layout": widgets.Layout(width="9em"),
              "style": {"description_width": "0px"}}
    if isinstance(control, widgets.IntSlider):
        field = widgets.BoundedIntText(value=control.value, min=control.min, max=control.max,
                                       step=control.step, **common)
    elif isinstance(control, widgets.FloatLogSlider):
        field = widgets.BoundedFloatText(value=control.value, min=control.base ** control.min,
                                         max=control.base ** control.max, step=None, **common)
    elif isinstance(control, widgets.FloatSlider):
        field = widgets.BoundedFloatText(value=control.value, min=control.min, max=control.max,
                                         step=control.step, **common)
    else:
        raise TypeError(f"control: expected an IntSlider, FloatSlider or FloatLogSlider, got "
                        f"{type(control).__name__}")
    field.add_class("bplib-number")
    return field, widgets.jslink((control, "value"), (field, "value"))


def check_control(key: str, control: widgets.Widget) -> None:
    """Raise if ``control`` cannot serve every reader: no label in words, or a dropdown."""
    if isinstance(control, (widgets.Dropdown, widgets.Select)):
        raise TypeError(f"{key}: a {type(control).__name__} cannot be used from the keyboard in "
                        f"JupyterLab (the notebook takes its arrow keys); use "
                        f"bplib.widgets.choice(...), which makes toggle buttons")
    if not isinstance(control, widgets.ValueWidget):
        raise TypeError(f"{key}: expected a control with a value, got {type(control).__name__}")
    description = getattr(control, "description", "")
    if not _WORD.search(description or ""):
        raise ValueError(f"{key}: expected a label in words (e.g. 'learning rate α'), got "
                         f"{description!r}; make the control with bplib.widgets.slider/choice/"
                         f"text")


# --- the figure ------------------------------------------------------------------------------
def figure_png(fig: Figure, dpi: float = style.RENDER_DPI) -> bytes:
    """The figure as PNG bytes, as the widgets show it (see :func:`bplib.plots.style.png`)."""
    return style.png(fig, dpi=dpi)


class InteractiveFigure(widgets.VBox):
    """Controls, the figure ``plot_fn(**control values)`` and its description as a caption,
    redrawn on every change (see the module docstring)."""

    def __init__(self, plot_fn: Callable[..., Figure],
                 controls: dict[str, widgets.Widget]) -> None:
        if not controls:
            raise ValueError("controls: expected at least one control, got none")
        for key, control in controls.items():
            check_control(key, control)
        self.plot_fn = plot_fn
        self.controls = controls
        self.png = b""
        self.links: list[widgets.widget_link.Link] = []
        self.description = ""
        self.figure = widgets.HTML(layout=widgets.Layout(max_width="100%"))
        self.figure.add_class("bplib-figure")
        self.caption = widgets.HTML(layout=widgets.Layout(max_width="60em"))
        self.caption.add_class("bplib-caption")
        width = max(len(c.description) for c in controls.values()) * 0.6 + 1
        cells: list[widgets.Widget] = []
        for control in controls.values():
            if hasattr(control, "style") and hasattr(control.style, "description_width"):
                control.style.description_width = f"{width:.1f}em"
            cells.append(control)
            if isinstance(control, _SLIDERS):
                control.readout = False  # the number field shows the value
                control.layout.width = f"{width + 22:.1f}em"
                field, link = number_field(control)
                cells.append(field)
                self.links.append(link)
            cells.append(_line_break())  # one control (and its number field) per line
        # every control is a child of this one box (one row each), as the browser tests expect
        box = widgets.HBox(cells, layout=widgets.Layout(flex_flow="row wrap",
                                                        align_items="center"))
        box.add_class("bplib-controls")
        super().__init__([box, self.figure, self.caption])
        self.add_class("bplib-interactive")
        for control in controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    def values(self) -> dict[str, Any]:
        return {name: w.value for name, w in self.controls.items()}

    def redraw(self, *_: Any) -> None:
        """Call the plotting function with the current values; show the new PNG, its alt
        text and its caption."""
        fig = self.plot_fn(**self.values())
        self.png = figure_png(fig)
        self.description = style.text_alternative(fig)
        script = html.escape(" ".join(A11Y_SCRIPT.split()), quote=True)
        self.figure.value = style.img_tag(self.png, self.description,
                                          f' class="bplib-figure" onload="{script}"')
        self.caption.value = (f'<p class="bplib-caption-text" style="margin: 0.2em 0 0.8em; '
                              f'line-height: 1.4">{html.escape(self.description)}</p>')

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        data, metadata = style.figure_mimebundle(self.png, self.description)
        bundle.update({"text/html": data["text/html"], "image/png": data["image/png"],
                       "text/plain": f"InteractiveFigure({self.description!r})"})
        return bundle, metadata


def _line_break() -> widgets.Box:
    """An empty full-width item: in a wrapping row, what follows starts a new line."""
    return widgets.Box(layout=widgets.Layout(flex="0 0 100%", height="0px"))


def interactive_figure(plot_fn: Callable[..., Figure], **controls: widgets.Widget
                       ) -> InteractiveFigure:
    """``interactive_figure(plot_fn, depth=slider(...), ...)``: the notebooks' one idiom."""
    return InteractiveFigure(plot_fn, controls)
