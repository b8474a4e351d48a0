"""Thin ipywidgets wrappers over pure plotting functions.

Every interactive figure in the notebooks is a pure function ``plot_fn(**values) -> Figure``
(testable without a browser) wrapped by :class:`InteractiveFigure`, which shows the controls
above a PNG of the figure and redraws it when a control changes.

Headless runs (nbval, nbconvert) and static viewers cannot render widgets, so the widget's
display bundle also carries ``image/png`` of the current figure: a front-end with the widget
manager shows the live controls, any other falls back to the static picture.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure


def figure_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render a Matplotlib figure to PNG bytes (deterministic metadata: no timestamp)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


class InteractiveFigure(widgets.VBox):
    """Controls plus the figure ``plot_fn(**control values)``, redrawn on every change."""

    def __init__(self, plot_fn: Callable[..., Figure], controls: dict[str, widgets.Widget],
                 dpi: int = 80) -> None:
        self.plot_fn = plot_fn
        self.controls = controls
        self.dpi = dpi
        # natural size (not stretched to the output width, which would blur the PNG)
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width="auto", height="auto", max_width="100%", align_self="flex-start"))
        self.image.add_class("bplib-figure")
        box = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([box, self.image])
        for w in controls.values():
            w.observe(self.redraw, names="value")
            style = getattr(w, "style", None)
            if style is not None and hasattr(style, "description_width"):
                style.description_width = "initial"  # show whole labels, not "weight sc..."
        self.redraw()

    def values(self) -> dict[str, Any]:
        return {name: w.value for name, w in self.controls.items()}

    def redraw(self, *_: Any) -> None:
        """Call the plotting function with the current values and show the new PNG."""
        fig = self.plot_fn(**self.values())
        self.image.value = figure_png(fig, self.dpi)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


def interactive_figure(plot_fn: Callable[..., Figure], **controls: widgets.Widget
                       ) -> InteractiveFigure:
    """``interactive_figure(plot_fn, depth=IntSlider(...), ...)``: the notebooks' one idiom."""
    return InteractiveFigure(plot_fn, controls)
