"""bplib.plots.style: colour contrast (WCAG), redundant encodings, sizes, and the text
alternative of every public plot function, found by walking bplib.plots (not listed here)."""

from __future__ import annotations

import base64
import html
import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import bplib.plots
from bplib.plots import style

# --- colour ----------------------------------------------------------------------------------


def test_relative_luminance_and_contrast_match_wcag_reference_values():
    # WCAG 2.x: white 1, black 0, black on white 21:1; #767676 is the classic 4.54:1 grey.
    assert style.relative_luminance("white") == pytest.approx(1.0)
    assert style.relative_luminance("black") == pytest.approx(0.0)
    assert style.contrast_ratio("black") == pytest.approx(21.0)
    assert style.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    assert style.contrast_ratio("white", "black") == style.contrast_ratio("black", "white")
    # a half-transparent black is seen as mid grey on white
    assert style.contrast_ratio((0, 0, 0, 0.5)) == pytest.approx(
        style.contrast_ratio((0.5, 0.5, 0.5)), rel=1e-12)


@pytest.mark.parametrize("colour", style.PALETTE + (style.GREY,))
def test_every_line_colour_reaches_text_contrast_on_white(colour):
    # graphics need 3:1 (WCAG 1.4.11); the palette also serves direct labels, text: 4.5:1
    assert style.contrast_ratio(colour) >= style.MIN_TEXT_CONTRAST


@pytest.mark.parametrize("colour", [style.VERMILLION, style.GREEN, style.BLUE])
def test_backward_and_forward_colours_stay_readable_on_the_highlight(colour):
    assert style.contrast_ratio(colour, style.FILLS["highlight"]) >= style.MIN_TEXT_CONTRAST


@pytest.mark.parametrize("name", ["orange", "sky blue", "yellow"])
def test_okabe_ito_light_colours_fail_as_lines_and_are_fills_only(name):
    colour = style.OKABE_ITO[name]
    assert style.contrast_ratio(colour) < style.MIN_GRAPHICS_CONTRAST
    assert colour not in style.PALETTE and colour in style.FILLS.values()


def test_series_differ_in_colour_marker_and_line_style():
    n = len(style.PALETTE)
    looks = [style.series(i) for i in range(n)]
    for key in ("color", "marker", "linestyle"):
        values = [repr(s[key]) for s in looks]
        assert len(set(values)) == n, f"two series share a {key}: {values}"
    assert style.series(n) == style.series(0)  # cycles
    assert "marker" not in style.series(0, marker=False)


# --- the rules, on purpose-built bad figures ---------------------------------------------------


def test_audit_finds_small_text_light_lines_wide_figures_and_missing_descriptions():
    fig = Figure(figsize=(11, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=style.OKABE_ITO["orange"], label="orange line")
    ax.set_title("tiny", fontsize=7)
    problems = "\n".join(style.audit(fig))
    assert "no description" in problems
    assert "'tiny' is 7 pt" in problems
    assert "'orange line'" in problems and "2.2" in problems
    assert "CSS px wide" in problems


def test_audit_passes_a_figure_made_the_course_way():
    fig = style.figure(6, 3)
    ax = fig.add_subplot()
    with style.mpl.rc_context(style.RC):
        ax.plot([0, 1], [1, 2], label="a", **style.series(0))
        ax.set_title("ok")
    style.describe(fig, "a line from (0, 1) to (1, 2)")
    assert style.audit(fig) == []


def test_figure_refuses_widths_that_would_be_scaled_down():
    with pytest.raises(ValueError, match="width: expected 0 < width <= 9.25 inches"):
        style.figure(12, 4)


def test_plot_decorator_requires_a_description():
    @style.plot(examples=lambda: [{}])
    def undescribed() -> Figure:
        return style.figure(4, 3)

    with pytest.raises(ValueError, match="undescribed: expected a figure with a description"):
        undescribed()


def test_describe_rejects_empty_text_and_normalises_spaces():
    fig = Figure()
    with pytest.raises(ValueError, match="text: expected a non-empty description"):
        style.describe(fig, "  ")
    assert style.description(style.describe(fig, "two\n   lines")) == "two lines"


def test_text_alternative_falls_back_to_titles_and_labels():
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_title(r"norms of $\delta_l$")
    ax.set_xlabel("layer")
    ax.set_ylabel("norm")
    assert style.description(fig) is None
    assert style.text_alternative(fig) == "Figure: norms of delta_l, norm against layer"


# --- display ---------------------------------------------------------------------------------


def test_course_figure_displays_as_figure_with_alt_text_caption_and_png():
    fig = style.figure(4, 3)
    fig.add_subplot().plot([0, 1], [0, 1])
    style.describe(fig, 'a rising line, slope 1 & "no" noise')
    data, metadata = fig._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG")
    escaped = html.escape('a rising line, slope 1 & "no" noise')
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="'
                     + re.escape(escaped) + '"', data["text/html"])
    assert f'<figcaption class="bplib-caption">{escaped}</figcaption>' in data["text/html"]
    assert data["text/plain"] == 'a rising line, slope 1 & "no" noise'
    w, h = style.png_size(png)
    assert metadata["image/png"] == {"width": round(w / 2), "height": round(h / 2),
                                     "alt": data["text/plain"]}
    # shown at 96 CSS px per inch (4 in plus the saved margin), drawn at twice that
    assert 4 * 96 <= metadata["image/png"]["width"] <= 4.3 * 96


# --- every public plot function, found by walking bplib.plots ----------------------------------


def _public_plot_functions() -> list[tuple[str, object]]:
    found = []
    for info in pkgutil.iter_modules(bplib.plots.__path__):
        if info.name == "style":  # the helpers themselves
            continue
        module = importlib.import_module(f"bplib.plots.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj) or \
                    obj.__module__ != module.__name__:
                continue
            returns = inspect.signature(inspect.unwrap(obj)).return_annotation
            if returns in (Figure, "Figure") or style.is_plot_function(obj):
                found.append((f"{info.name}.{name}", obj))
    return found


PLOT_FUNCTIONS = _public_plot_functions()
NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")


def test_plot_functions_are_found():
    names = {name for name, _ in PLOT_FUNCTIONS}
    assert len(names) >= 20
    assert {"saturation.delta_norm_figure", "training.training_figure",
            "algorithm1.step_figure"} <= names


@pytest.mark.parametrize("name,fn", PLOT_FUNCTIONS, ids=[n for n, _ in PLOT_FUNCTIONS])
def test_every_plot_function_returns_a_described_figure_that_follows_the_rules(name, fn):
    assert style.is_plot_function(fn), (
        f"{name} returns a Figure but is not decorated with @style.plot(examples=...)")
    examples = fn.examples()
    assert len(examples) >= 2, f"{name}: give at least two examples with different data"
    descriptions = []
    for kwargs in examples:
        fig = fn(**kwargs)
        assert isinstance(fig, Figure)
        text = style.description(fig)
        assert text and len(text) > 40, f"{name}({kwargs}): description too short: {text!r}"
        assert NUMBER.search(text), f"{name}: the description has no number: {text!r}"
        problems = style.audit(fig)
        assert not problems, f"{name}({list(kwargs)}): " + "; ".join(problems)
        descriptions.append(text)
    assert len(set(descriptions)) == len(descriptions), (
        f"{name}: different data gave the same description, so it is not generated from "
        f"the data: {descriptions}")


def test_a_description_carries_the_plotted_numbers():
    from bplib.plots import saturation as S

    fig = S.delta_norm_figure(8, "logistic")
    X, y = S.PROBE
    norms = S.delta_norms(S.deep_network(8, "logistic"), X, y)
    ratio = norms[1] / norms[-1]
    assert f"logistic: {style.fmt_number(ratio, 2)}" in style.description(fig)
    assert "at depth 8" in style.description(fig)


@pytest.mark.parametrize("x,text", [(0.25, "0.25"), (1.23456e-5, "1.2e-5"), (4096, "4,096"),
                                    (-3.5e7, "-3.5e7"), (0.0, "0"), (np.float64(2 / 3), "0.667"),
                                    (62000.5, "62,000"), (999.55, "1,000"), (12.34, "12.3")])
def test_fmt_number(x, text):
    assert style.fmt_number(x) == text


def test_label_lines_writes_each_label_at_its_line_end_in_its_colour():
    fig = style.figure(5, 3)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 4], label="quadratic", **style.series(0))
    ax.plot([0, 1, 2], [0, 1, 2], label="_hidden", **style.series(1))
    (note,) = style.label_lines(ax)
    assert note.get_text() == "quadratic" and note.xy == (2, 4)
    assert note.get_color() == style.PALETTE[0]
