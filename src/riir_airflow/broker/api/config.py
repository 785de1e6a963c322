"""`/api/v2/config` and `/config/section/{section}/option/{option}`: the broker's effective
configuration (`riir_airflow.compat.config.conf`: airflow.cfg, `AIRFLOW__*` variables, defaults).

As Airflow: admin only; 403 unless `[api] expose_config` is true (default false; the deprecated
`non-sensitive-only` counts as true); sensitive options (`[database] sql_alchemy_conn`, `[core]
fernet_key`, secrets, ...) are answered as `< hidden >`; `Accept: text/plain` answers the
airflow.cfg text, `application/json` (or anything else) the JSON model; 404 for an unknown
section or option.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response

from riir_airflow.broker.api.deps import ADMIN, not_found, require
from riir_airflow.broker.api.schemas_admin import Config, ConfigOption, ConfigSection
from riir_airflow.broker.auth import Principal

__all__ = ["config_router"]

HIDDEN = "< hidden >"
_Admin = Annotated[Principal, Depends(require(ADMIN))]
_TEXT_EXAMPLE = {
    "text/plain": {"schema": {"type": "string", "example": "[core]\ndags_folder = /opt/airflow/dags\n"}}
}


def _check_exposed() -> None:
    from riir_airflow.compat.config import conf

    value = str(conf.get("api", "expose_config", fallback="False")).strip().lower()
    if value not in ("true", "t", "1", "yes", "y", "on", "non-sensitive-only"):
        raise HTTPException(403, "Your Airflow administrator chose not to expose the configuration, most likely "
                                 "for security reasons.")  # fmt: skip


def _is_sensitive(section: str, key: str) -> bool:
    from riir_airflow.compat.config import conf

    prefixes = {"secrets": "backend_kwarg__", "workers": "secrets_backend_kwarg__"}
    prefix = prefixes.get(section)
    return conf.is_sensitive(section, key) or (prefix is not None and key.startswith(prefix))


def _answer(accept: str | None, config: Config) -> Config | Response:
    if accept is not None and "text/plain" in accept and "application/json" not in accept:
        return Response(content=config.text_format, media_type="text/plain")
    return config


def get_config(
    request: Request, _: _Admin, section: str | None = None, accept: Annotated[str | None, Header()] = None
) -> Config:
    """The configuration, every section or one."""
    from riir_airflow.compat.config import conf

    _check_exposed()
    if section is not None and not conf.has_section(section):
        raise not_found(f"Section {section} not found.")
    values = conf.as_dict()
    names = [section.lower()] if section is not None else sorted(values)
    sections = [
        ConfigSection(name=name, options=[
            ConfigOption(key=key, value=HIDDEN if _is_sensitive(name, key) else str(value))
            for key, value in sorted(values.get(name, {}).items())
        ])
        for name in names
    ]  # fmt: skip
    return _answer(accept, Config(sections=sections))  # type: ignore[return-value]


def get_config_value(
    request: Request, section: str, option: str, _: _Admin, accept: Annotated[str | None, Header()] = None
) -> Config:
    """One option's value."""
    from riir_airflow.compat.config import conf

    _check_exposed()
    if not conf.has_option(section, option):
        raise not_found(f"Option [{section}/{option}] not found.")
    value = HIDDEN if _is_sensitive(section.lower(), option.lower()) else str(conf.get(section, option))
    config = Config(sections=[ConfigSection(name=section, options=[ConfigOption(key=option, value=value)])])
    return _answer(accept, config)  # type: ignore[return-value]


def config_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2/config", tags=["Config"])
    responses = {
        200: {"description": "Successful Response", "content": _TEXT_EXAMPLE},
        406: {"description": "Not Acceptable"},
    }
    router.add_api_route("", get_config, methods=["GET"], operation_id="get_config", response_model=Config,
                         responses=responses)  # fmt: skip
    router.add_api_route("/section/{section}/option/{option}", get_config_value, methods=["GET"],
                         operation_id="get_config_value", response_model=Config, responses=responses)  # fmt: skip
    return router
