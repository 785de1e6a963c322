"""The UI's routes (see the package docstring): a fixed set of static files, read once."""

from __future__ import annotations

import hashlib
from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

__all__ = ["UI_PATH", "ui_router"]

UI_PATH = "/ui/"
_FILES = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "actions.js": ("actions.js", "text/javascript; charset=utf-8"),
    "app.css": ("app.css", "text/css; charset=utf-8"),
}


def _load() -> dict[str, tuple[bytes, str, str]]:
    """name -> (content, media type, ETag) of every file the UI serves."""
    static = resources.files(__package__).joinpath("static")
    loaded = {}
    for name, (filename, media_type) in _FILES.items():
        content = static.joinpath(filename).read_bytes()
        loaded[name] = (content, media_type, '"' + hashlib.sha256(content).hexdigest()[:32] + '"')
    return loaded


def ui_router() -> APIRouter:
    files = _load()

    async def ui_file(request: Request, name: str = "") -> Response:
        found = files.get(name)
        if found is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        content, media_type, etag = found
        headers = {"Cache-Control": "no-cache", "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(content, media_type=media_type, headers=headers)

    async def to_ui() -> Response:
        # Relative ("ui/" from "/" and from "/ui"), so it holds behind a proxy's path prefix too.
        return RedirectResponse("ui/", status_code=307)

    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", to_ui, methods=["GET"])
    router.add_api_route("/ui", to_ui, methods=["GET"])
    router.add_api_route(UI_PATH, ui_file, methods=["GET"])
    router.add_api_route(UI_PATH + "{name}", ui_file, methods=["GET"])
    return router
