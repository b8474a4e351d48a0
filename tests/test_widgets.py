"""bplib.widgets without a browser: the control helpers, the checks InteractiveFigure makes,
the figure's alt text and caption, and the static fallback. (tests/browser/ drives the same
widgets in JupyterLab.)"""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess

import ipywidgets as widgets
import pytest

from bplib.plots import style
from bplib.widgets import (
    A11Y_SCRIPT,
    InteractiveFigure,
    check_control,
    choice,
    interactive_figure,
    slider,
    text,
)


@style.plot(examples=lambda: [{"k": 1}, {"k": 2}])
def _line(k: int, kind: str = "line") -> style.CourseFigure:
    fig = style.figure(4, 3)
    fig.add_subplot().plot([0, 1], [0, k], **style.series(0))
    return style.describe(fig, f"a {kind} from (0, 0) to (1, {k}): slope {k}")


def test_slider_picks_the_kind_from_its_numbers():
    s = slider("number of hidden layers", "L", value=3, min=1, max=10)
    assert isinstance(s, widgets.IntSlider) and s.description == "number of hidden layers L"
    f = slider("weight scale", value=1.0, min=0.25, max=4.0, step=0.25)
    assert isinstance(f, widgets.FloatSlider) and f.step == 0.25
    g = slider("scale of the logits", value=1.0, min=0.1, max=1000.0, step=0.05, log=True)
    assert isinstance(g, widgets.FloatLogSlider)
    assert (g.min, g.max, g.value) == (-1.0, 3.0, 1.0)  # exponents of 10, value itself


@pytest.mark.parametrize("kwargs,message", [
    ({"name": "h", "value": 1, "min": 0, "max": 2}, "name: expected the quantity in words"),
    ({"name": "width", "value": 5, "min": 0, "max": 2}, "value: expected 0 <= value <= 2"),
    ({"name": "step size", "value": 1.0, "min": 0.0, "max": 2.0, "log": True},
     "min: a log slider needs min > 0"),
])
def test_slider_errors_name_the_argument(kwargs, message):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=re.escape(message)):
        slider(name, **kwargs)


def test_choice_is_toggle_buttons_with_a_label_in_words():
    c = choice("activation function", "S", options=["logistic", "relu"])
    assert isinstance(c, widgets.ToggleButtons)
    assert c.value == "logistic" and c.description == "activation function S"
    pairs = choice("finite-difference step", "h", options=[("1e-6", 1e-6), ("1e-5", 1e-5)],
                   value=1e-5)
    assert pairs.value == 1e-5 and pairs.label == "1e-5"
    with pytest.raises(ValueError, match=r"value: expected one of \['a', 'b'\], got 'c'"):
        choice("letter", options=["a", "b"], value="c")


def test_interactive_figure_refuses_dropdowns_and_unnamed_controls():
    with pytest.raises(TypeError, match="depth: a Dropdown cannot be used from the keyboard"):
        check_control("depth", widgets.Dropdown(options=[1, 2], description="depth"))
    with pytest.raises(ValueError, match=r"k: expected a label in words .* got 'k'"):
        interactive_figure(_line, k=widgets.IntSlider(value=1, min=1, max=3, description="k"))


def _controls_box(fig: InteractiveFigure) -> widgets.HBox:
    box = fig.children[0]
    assert isinstance(box, widgets.HBox) and "bplib-controls" in box._dom_classes
    return box


def test_layout_pairs_each_slider_with_a_linked_number_field():
    k = slider("slope of the line", "k", value=1, min=1, max=3)
    kind = text("kind of curve", value="line")
    fig = interactive_figure(_line, k=k, kind=kind)
    cells = _controls_box(fig).children
    # one row per control: the slider, its number field, a line break; the text box, a break
    assert cells[0] is k and isinstance(cells[1], widgets.BoundedIntText)
    assert cells[3] is kind and len(cells) == 5
    field = cells[1]
    assert (field.min, field.max, field.step, field.value) == (1, 3, 1, 1)
    assert field.description == k.description  # its accessible name, in words
    assert k.readout is False  # the number field shows the value instead
    # jslink: equal in the browser without a round trip through the kernel
    assert [(link.source, link.target) for link in fig.links] == [((k, "value"),
                                                                  (field, "value"))]


def _img(fig: InteractiveFigure) -> tuple[str, str]:
    m = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"', fig.figure.value)
    assert m, fig.figure.value[:200]
    return base64.b64decode(m.group(1)), html.unescape(m.group(2))


def test_figure_alt_text_and_caption_follow_every_redraw():
    k = slider("slope of the line", "k", value=1, min=1, max=3)
    fig = interactive_figure(_line, k=k)
    png, alt = _img(fig)
    assert png.startswith(b"\x89PNG") and alt == "a line from (0, 0) to (1, 1): slope 1"
    assert 'class="bplib-figure"' in fig.figure.value and "bplib-figure" in fig.figure._dom_classes
    assert alt in fig.caption.value and "bplib-caption" in fig.caption._dom_classes
    assert 'onload="' in fig.figure.value  # the accessibility script runs on every redraw
    k.value = 3
    png3, alt3 = _img(fig)
    assert alt3 == "a line from (0, 0) to (1, 3): slope 3" and png3 != png
    assert html.escape(alt3) in fig.caption.value and "slope 1" not in fig.caption.value


def test_static_fallback_carries_figure_alt_text_caption_and_png():
    fig = interactive_figure(_line, k=slider("slope of the line", "k", value=2, min=1, max=3))
    data, metadata = fig._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == "InteractiveFigure('a line from (0, 0) to (1, 2): slope 2')"
    assert 'alt="a line from (0, 0) to (1, 2): slope 2"' in data["text/html"]
    assert "<figcaption" in data["text/html"] and "onload" not in data["text/html"]
    assert base64.b64decode(data["image/png"]) == fig.png
    assert metadata["image/png"]["alt"] == fig.description


def test_a_figure_without_description_still_gets_a_text_alternative():
    def bare(n: int):
        f = style.figure(3, 2)
        f.add_subplot().set_title(f"{n} points")
        return f

    fig = interactive_figure(bare, n=slider("number of points", "n", value=2, min=1, max=5))
    assert fig.description == "Figure: 2 points"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_accessibility_script_is_valid_javascript(tmp_path):
    script = tmp_path / "a11y.js"
    script.write_text(A11Y_SCRIPT.replace("(this)", "(null)") + ";\n")
    result = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
