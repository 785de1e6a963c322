"""The web UI: static files served by the broker at `/ui/`; the pages render in the browser from
the public REST API (`/api/v2`, with the user's JWT), so the UI shows exactly what the API serves
([decision 0010](../../../../docs/decisions/0010-web-ui.md)).

Contract:
- `GET /ui/` answers `static/index.html`; `GET /ui/app.js`, `GET /ui/actions.js` (a module
  app.js imports) and `GET /ui/app.css` the scripts (plain ES modules) and the style sheet; any
  other `/ui/...` name is 404. `GET /ui` and `GET /`
  redirect (307) to `/ui/`.
- The files hold no data, so no route needs credentials; every answer carries
  `Cache-Control: no-cache` and an `ETag` (a matching `If-None-Match` gets 304), so a browser
  revalidates and never runs a stale script after an upgrade.
- The routes are left out of the OpenAPI spec: it describes the API only.
"""

from __future__ import annotations

from riir_airflow.broker.ui.routes import ui_router

__all__ = ["ui_router"]
