"""Driving JupyterLab the way a student does: open a notebook, Run > Run All Cells, move a
control; and reading back what the page shows.

Actions are clicks and key presses on the page. What the page shows is read from the DOM,
and from the notebook model through ``window.jupyterapp`` (exposed by the test server),
because two things cannot be told apart in the DOM alone: a warning printed to stderr and
a traceback both render as ``.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]``,
and a widget output whose widget manager failed renders its ``image/png`` fallback exactly
like an ordinary figure.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Waits follow the state they need (an element attached, visible and enabled; a document
# revealed; a kernel idle; replies arriving) and end as soon as it holds. The deadlines below
# only bound a real hang, so they are generous: on a loaded 2-core machine one step of
# JupyterLab (opening a notebook while another kernel starts) can take well over 30 s.
ACTION_DEADLINE = 180.0  # s for one user action: a click to land, a tab to open and load
ATTEMPT_MS = 15_000  # one Playwright attempt inside that deadline; the locator is re-resolved
STALL_DEADLINE = 240.0  # s with no progress at all (no new reply, kernel idle, no redraw)

# What a widget output shows when the widget manager cannot render it.
FALLBACK_TEXTS = ("Loading widget", "Error displaying widget", "model not found",
                  "Failed to load model")

_READY_JS = """(path) => {
  const w = window.jupyterapp?.shell?.currentWidget;
  const kernel = w?.sessionContext?.session?.kernel;
  return !!w && w.context?.path === path && w.context.isReady && !!w.content
    && w.content.widgets.length > 0 && !!kernel && kernel.status === 'idle';
}"""

# Counts execute requests sent and replies received on the notebook's kernel, so "all cells
# ran" does not depend on timing: every non-blank code cell sends one request and gets one
# reply (status "aborted" for those skipped after an error).
# The document at ``path`` is the current tab, loaded and revealed; for a notebook, its cells
# are rendered and its session settled: started with an idle kernel (so it can be run, or
# shut down cleanly), or gone (the tests shut kernels down between steps).
_DOCUMENT_READY_JS = """(path) => {
  const w = window.jupyterapp?.shell?.currentWidget;
  if (!w || w.context?.path !== path || !w.context.isReady || !w.isRevealed) return false;
  const sc = w.sessionContext;
  if (!sc) return true;  // not a notebook: an editor or a viewer
  return w.content.widgets.length > 0 && sc.isReady
    && (!sc.session || sc.session.kernel?.status === 'idle');
}"""

_KERNEL_STATUS_JS = """() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session
  ?.kernel?.status ?? 'none'"""

_COUNT_EXECUTIONS_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const kernel = nb.sessionContext.session.kernel;
  const state = {sent: 0, replies: 0};
  kernel.anyMessage.connect((_, args) => {
    const type = args.msg.header.msg_type;
    if (args.direction === 'send' && type === 'execute_request') state.sent += 1;
    if (args.direction === 'recv' && type === 'execute_reply') state.replies += 1;
  });
  window.__bplibExec = state;
  return nb.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '').length;
}"""

_EXEC_STATE_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const s = window.__bplibExec;
  const pending = [...nb.node.querySelectorAll('.jp-InputArea-prompt')]
    .filter(p => p.textContent.includes('*')).length;
  const dialog = document.querySelector('.jp-Dialog');
  return {sent: s.sent, replies: s.replies, pending,
          kernel: nb.sessionContext.session?.kernel?.status ?? 'none',
          dialog: dialog ? dialog.innerText : null};
}"""

_CELLS_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  return nb.content.widgets.map((c, i) => {
    const m = c.model;
    const out = {index: i, type: m.type, source: m.sharedModel.getSource(), outputs: []};
    if (m.type !== 'code') return out;
    out.executionCount = m.executionCount;
    for (let j = 0; j < m.outputs.length; j++) {
      const o = m.outputs.get(j).toJSON();
      out.outputs.push({type: o.output_type, name: o.name ?? null, ename: o.ename ?? null,
                        evalue: o.evalue ?? null, mimes: Object.keys(o.data ?? {}),
                        text: [].concat(o.text ?? (o.data ?? {})['text/plain'] ?? []).join('')});
    }
    return out;
  });
}"""

# Tags each widget output's DOM node with data-bplib-widget=k and returns what the model says
# about it (its cell, its text/plain repr) so the DOM node can be checked against the model.
_TAG_WIDGETS_JS = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const found = [];
  nb.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    const outs = c.model.outputs;
    for (let j = 0; j < outs.length; j++) {
      const data = outs.get(j).data;
      if (!(data && 'application/vnd.jupyter.widget-view+json' in data)) continue;
      const child = c.outputArea.widgets[j];
      const k = found.length;
      if (child) child.node.setAttribute('data-bplib-widget', String(k));
      found.push({k, cell: i, output: j, tagged: !!child,
                  plain: [].concat(data['text/plain'] ?? []).join('')});
    }
  });
  return found;
}"""

_WIDGET_STATE_JS = """(node) => {
  const img = node.querySelector('img.bplib-figure');
  const hbox = node.querySelector('.widget-vbox > .widget-hbox');
  return {
    text: node.innerText,
    widgetNodes: node.querySelectorAll('.jupyter-widgets').length,
    inputs: node.querySelectorAll(
      'input, select, textarea, button, [role=slider], [contenteditable=true]').length,
    progress: node.querySelectorAll(
      '.widget-hprogress, .widget-vprogress, [role=progressbar]').length,
    controls: hbox ? [...hbox.children].map(e => e.className) : [],
    // per child of the controls row: how many things a user can operate in it (0 for the
    // empty boxes that only break the row into lines)
    controlInputs: hbox ? [...hbox.children].map(e => e.querySelectorAll(
      'input, select, textarea, button, [role=slider]').length) : [],
    figure: img ? {complete: img.complete, naturalWidth: img.naturalWidth,
                   naturalHeight: img.naturalHeight, src: img.getAttribute('src') || ''} : null,
  };
}"""

# SHA-256 of the bytes the figure <img> shows. ipywidgets puts them behind a blob: URL that
# changes on every update even when the bytes do not, so the URL alone proves nothing.
_IMAGE_DIGEST_JS = """async (img) => {
  const src = img.getAttribute('src');
  if (!src) return null;
  try {
    const buf = await (await fetch(src)).arrayBuffer();
    const hash = await crypto.subtle.digest('SHA-256', buf);
    return {src, bytes: buf.byteLength,
            sha256: [...new Uint8Array(hash)].map(b => b.toString(16).padStart(2, '0')).join('')};
  } catch (e) {
    return {src, bytes: -1, sha256: 'unreadable: ' + e};  // URL revoked mid-update: retry
  }
}"""


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class LabPage:
    """A Playwright page on the test server, with the console errors and warnings it logged
    (and uncaught page errors), collected from the moment it is wrapped."""

    page: Any
    server: Any
    console: list[str] = field(default_factory=list)
    last_error: str | None = None

    def __post_init__(self) -> None:
        # Every Playwright wait not written out below (focus, press, select_option, reading
        # an attribute) gets the generous deadline too; each still returns as soon as its
        # element is ready.
        self.page.set_default_timeout(ACTION_DEADLINE * 1000)
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def console_tail(self, n: int = 15) -> str:
        return "\n".join(self.console[-n:]) or "(none)"

    # -- opening and running ---------------------------------------------------------------
    def open_notebook(self, path: str, timeout: float = ACTION_DEADLINE) -> None:
        """Open ``path`` (relative to the server root) in a fresh workspace and wait until the
        notebook is loaded and its kernel idle."""
        workspace = "bplib-" + re.sub(r"[^A-Za-z0-9]+", "-", path)
        self.page.goto(self.server.lab_url(path, workspace), timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        while not self._evaluate_quietly(_READY_JS, path):
            dialog = self.dialog_text()
            if dialog:  # e.g. "Select Kernel" when the notebook's kernel is not installed
                raise AssertionError(f"{path}: a dialog opened instead of the notebook: "
                                     f"{dialog!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: notebook did not open with an idle kernel "
                                     f"within {timeout:.0f} s (last page error: "
                                     f"{self.last_error}); console:\n{self.console_tail()}")
            time.sleep(0.25)
        # The notebook needs the room more than the file browser does.
        self.page.keyboard.press("Control+b")

    def wait_document(self, path: str, what: str, timeout: float = ACTION_DEADLINE) -> None:
        """Wait until ``path`` is the current tab, loaded and revealed (a notebook: rendered,
        its kernel idle or shut down). A dialog (e.g. "Select Kernel") fails at once."""
        deadline = time.monotonic() + timeout
        while not self._evaluate_quietly(_DOCUMENT_READY_JS, path):
            dialog = self.dialog_text()
            if dialog:
                raise AssertionError(f"{what}: a dialog opened instead of {path}: {dialog!r}")
            if time.monotonic() > deadline:
                current = self._evaluate_quietly(
                    "() => window.jupyterapp?.shell?.currentWidget?.context?.path ?? null")
                raise AssertionError(f"{what}: {path} was not open, loaded and idle within "
                                     f"{timeout:.0f} s (current tab: {current!r}, last page "
                                     f"error: {self.last_error}); console:\n"
                                     f"{self.console_tail()}")
            time.sleep(0.25)

    def click(self, locator: Any, what: str, timeout: float = ACTION_DEADLINE) -> None:
        """Click ``locator`` once it is attached, visible, enabled and not covered, retrying
        with a fresh lookup while the page is busy re-rendering, until ``timeout``. A dialog
        in the way fails at once (it is a real state of the page, not load)."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            remaining_ms = (deadline - time.monotonic()) * 1000
            if remaining_ms <= 0:
                raise AssertionError(f"could not click {what} within {timeout:.0f} s: {last}; "
                                     f"console:\n{self.console_tail()}")
            attempt = max(1000.0, min(ATTEMPT_MS, remaining_ms))
            try:
                locator.wait_for(state="visible", timeout=attempt)
                if locator.is_enabled(timeout=attempt):
                    locator.click(timeout=attempt)
                    return
                last = "the element is disabled"
            except Exception as e:  # playwright TimeoutError: not attached/stable/hit yet
                last = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            dialog = self.dialog_text()
            if dialog:
                raise AssertionError(f"a dialog is in the way of {what}: {dialog!r}")
            time.sleep(0.5)

    def kernel_status(self) -> str:
        """Status of the current notebook's kernel ('idle', 'busy', ...; 'none' if absent)."""
        return self._evaluate_quietly(_KERNEL_STATUS_JS) or "none"

    def _evaluate_quietly(self, js: str, arg: Any = None) -> Any:
        """page.evaluate, but None while the page is still loading or navigating."""
        try:
            return self.page.evaluate(js, arg)
        except Exception as e:  # playwright.Error: context destroyed by a navigation
            self.last_error = str(e)
            return None

    def dialog_text(self) -> str | None:
        try:
            dialog = self.page.query_selector(".jp-Dialog")
            return dialog.inner_text() if dialog else None
        except Exception:  # page navigating: no dialog to read yet
            return None

    def click_menu(self, menu: str, item: str, timeout: float = ACTION_DEADLINE) -> None:
        """Open ``menu`` in the menu bar and click ``item`` in it. Clicking a menu bar item
        again would close its menu, so the bar is clicked only while the menu is not open."""
        bar = self.page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$"))
        entry = self.page.locator(".lm-Menu-item:visible",
                                  has_text=re.compile(f"^{re.escape(item)}")).first
        deadline = time.monotonic() + timeout
        while entry.count() == 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"the {menu} menu did not open with {item!r} in it within "
                                     f"{timeout:.0f} s; console:\n{self.console_tail()}")
            self.click(bar, f"the {menu!r} menu", timeout=max(1.0, deadline - time.monotonic()))
            try:
                entry.wait_for(state="visible", timeout=ATTEMPT_MS)
            except Exception:  # still not open (the click came before the bar was live)
                pass
        self.click(entry, f"{menu} > {item}", timeout=max(1.0, deadline - time.monotonic()))

    def run_all_cells(self, stall: float = STALL_DEADLINE) -> dict:
        """Run > Run All Cells, then wait until every request has its reply, no cell shows
        ``[*]`` and the kernel is idle (twice in a row, 0.25 s apart). Fails when nothing
        moves for ``stall`` seconds: no new request or reply while the kernel is idle."""
        expected = self.page.evaluate(_COUNT_EXECUTIONS_JS)
        self.click_menu("Run", "Run All Cells")
        return self._wait_executions(expected, stall, "Run All Cells")

    def run_cell(self, index: int, stall: float = STALL_DEADLINE) -> None:
        """Click cell ``index`` and press Shift+Enter, then wait for its reply."""
        self.page.evaluate(_COUNT_EXECUTIONS_JS)
        cell = self.page.locator(".jp-Notebook .jp-Cell").nth(index)
        self.click(cell.locator(".jp-InputPrompt"), f"the prompt of cell {index}")
        self.page.keyboard.press("Shift+Enter")
        self._wait_executions(1, stall, f"cell {index}")

    def _wait_executions(self, expected: int, stall: float, what: str) -> dict:
        """Poll the execution counters until all replies are in and the kernel is idle; the
        deadline moves on whenever a request or reply arrives or the kernel is busy."""
        last_progress = time.monotonic()
        seen = None
        stable = 0
        state: dict = {}
        while time.monotonic() - last_progress < stall:
            state = self.page.evaluate(_EXEC_STATE_JS)
            if state["dialog"]:
                raise AssertionError(f"a dialog opened while running {what}: "
                                     f"{state['dialog']!r}")
            progress = (state["sent"], state["replies"], state["pending"])
            if progress != seen or state["kernel"] != "idle":
                seen, last_progress = progress, time.monotonic()
            done = (state["sent"] >= min(expected, 1) and state["replies"] == state["sent"]
                    and state["pending"] == 0 and state["kernel"] == "idle")
            stable = stable + 1 if done else 0
            if stable >= 2:
                state["expected"] = expected
                return state
            time.sleep(0.25)
        raise AssertionError(f"{what} did not finish: nothing moved for {stall:.0f} s with "
                             f"{expected} cells to run, {state}; console:\n"
                             f"{self.console_tail()}")

    # -- reading ---------------------------------------------------------------------------
    def cells(self) -> list[dict]:
        """The notebook model's cells: type, source, execution count, outputs (type, mimes,
        text, ename/evalue)."""
        return self.page.evaluate(_CELLS_JS)

    def tag_widgets(self) -> list[dict]:
        return self.page.evaluate(_TAG_WIDGETS_JS)

    def widget(self, k: int):
        return self.page.locator(f'[data-bplib-widget="{k}"]')

    def widget_state(self, k: int) -> dict:
        return self.widget(k).evaluate(_WIDGET_STATE_JS)

    def figure_digest(self, k: int) -> dict | None:
        img = self.widget(k).locator("img.bplib-figure")
        if img.count() == 0:
            return None
        return img.first.evaluate(_IMAGE_DIGEST_JS)

    def wait_figure_change(self, k: int, before: dict, idle_for: float = 30.0,
                           timeout: float = STALL_DEADLINE) -> dict | None:
        """The figure's new digest once its bytes differ from ``before``, else None: after
        the kernel has been idle for ``idle_for`` s with no new bytes (the redraw is not
        coming), or after ``timeout`` s in all. While the kernel is busy drawing, it waits."""
        start = time.monotonic()
        idle_since = None
        while time.monotonic() - start < timeout:
            now = self.figure_digest(k)
            if now and now["bytes"] > 0 and now["sha256"] != before["sha256"]:
                return now
            if self.kernel_status() == "idle":
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > idle_for:
                    return None
            else:
                idle_since = None
            time.sleep(0.25)
        return None

    # -- changing a control ----------------------------------------------------------------
    def change_control(self, k: int, m: int) -> str | None:
        """Change control ``m`` of widget ``k`` with the mouse or keyboard, as a student would.
        Returns what was done, or None for a kind of control this helper cannot drive."""
        ctl = self.widget(k).locator(".widget-vbox > .widget-hbox").first.locator(
            ":scope > *").nth(m)
        classes = (ctl.get_attribute("class") or "").split()
        label = ctl.locator(".widget-label, .widget-label-basic").all_inner_texts()
        label = next((t.replace("\u200b", "").strip() for t in label
                      if t.replace("\u200b", "").strip()), "")
        name = label or f"control {m}"
        if "widget-slider" in classes:
            handle = ctl.locator(".noUi-handle").first
            before = handle.get_attribute("aria-valuetext")
            handle.focus()
            handle.press("ArrowRight")
            after = handle.get_attribute("aria-valuetext")
            if after == before:  # at its maximum: step down instead
                handle.press("ArrowLeft")
                handle.press("ArrowLeft")
                after = handle.get_attribute("aria-valuetext")
            return f"slider {name!r}: {before} -> {after} (arrow keys)"
        if "widget-dropdown" in classes or "widget-select" in classes:
            select = ctl.locator("select").first
            options = select.locator("option").all_inner_texts()
            current = select.evaluate("s => s.selectedIndex")
            choice = (current + 1) % len(options)
            select.select_option(index=choice)
            return f"dropdown {name!r}: {options[current]!r} -> {options[choice]!r}"
        if "widget-text" in classes or "widget-textarea" in classes:
            box = ctl.locator("input, textarea").first
            box.wait_for(state="visible")
            before = box.input_value()
            if box.get_attribute("type") == "number":
                return self._step_number_box(box, name, before)
            new = _edited_text(before)
            self.click(box, f"text box {name!r}")
            box.press("Control+a")
            box.press_sequentially(new)
            box.press("Tab" if "widget-textarea" in classes else "Enter")
            return f"text box {name!r}: {before!r} -> {new!r} (typed, Enter)"
        if "widget-checkbox" in classes:
            self.click(ctl.locator("input[type=checkbox]"), f"checkbox {name!r}")
            return f"checkbox {name!r}: clicked"
        if "widget-toggle-buttons" in classes:
            button = ctl.locator("button:not(.mod-active)").first
            text = button.inner_text()
            self.click(button, f"toggle button {text!r} of {name!r}")
            return f"toggle buttons {name!r}: clicked {text!r}"
        if "widget-radio" in classes:
            radio = ctl.locator("input[type=radio]:not(:checked)").first
            self.click(radio, f"a radio button of {name!r}")
            return f"radio buttons {name!r}: clicked another option"
        if "widget-toggle-button" in classes:
            self.click(ctl, f"toggle button {name!r}")
            return f"toggle button {name!r}: clicked"
        return None

    def _step_number_box(self, box: Any, name: str, before: str) -> str:
        """Change a number field as a keyboard user does: ArrowUp (ArrowDown twice at its
        maximum), then Enter; a field whose step is "any" may not move on the arrows, so
        then type a value between its bounds."""
        box.focus()
        box.press("ArrowUp")
        how = "ArrowUp, Enter"
        if box.input_value() == before:
            box.press("ArrowDown")
            box.press("ArrowDown")
            how = "ArrowDown, Enter"
        if box.input_value() == before:
            value = _number_between(box.get_attribute("min"), box.get_attribute("max"),
                                    float(before))
            box.fill(f"{value:g}")
            how = "typed, Enter"
        box.press("Enter")
        return f"number box {name!r}: {before} -> {box.input_value()} ({how})"


def _number_between(low: str | None, high: str | None, current: float) -> float:
    """A value other than ``current`` within the field's bounds (their midpoint, or the
    bound further from ``current``)."""
    lo = float(low) if low not in (None, "") else current - 1.0
    hi = float(high) if high not in (None, "") else current + 1.0
    middle = (lo + hi) / 2
    if middle != current:
        return middle
    return lo if abs(lo - current) > abs(hi - current) else hi


def _edited_text(value: str) -> str:
    """A small, valid-looking edit of a text box's value: one more item in a comma-separated
    list of integers, one more than a number, else one more character."""
    if re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", value):
        return value.strip() + ", 2"
    try:
        number = float(value)
    except ValueError:
        return value + "1"
    return str(int(number) + 1) if number.is_integer() and "." not in value else str(number + 1)
