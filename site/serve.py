"""Serve a built site on 127.0.0.1 (``make site-serve``, or ``python site/serve.py DIR``).

Any static web server works; this one only makes sure that .wasm, .mjs, .whl, .json and
.ipynb files get the types browsers and Pyodide expect, whatever the system's mime.types says.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
         ".json": "application/json", ".ipynb": "application/json",
         ".whl": "application/zip", ".zip": "application/zip", ".md": "text/markdown"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib's name)
        if self.server.verbose:
            super().log_message(format, *args)


def make_server(root: Path, port: int = 0, verbose: bool = False) -> http.server.HTTPServer:
    """A threading HTTP server for ``root`` on 127.0.0.1 (``port=0``: the OS picks one)."""
    handler = functools.partial(Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.verbose = verbose
    return server


def serve_in_thread(root: Path) -> tuple[http.server.HTTPServer, threading.Thread]:
    server = make_server(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path, nargs="?",
                    default=Path(__file__).resolve().parents[1] / "build" / "site")
    ap.add_argument("--port", type=int, default=8000)
    args = ap.parse_args()
    server = make_server(args.root, args.port, verbose=True)
    print(f"serving {args.root} at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
