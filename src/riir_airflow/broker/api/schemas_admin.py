"""Request and response models of the variables, connections, pools, bulk, config, plugins,
providers and DAG-warnings endpoints, in Airflow 3's shapes (names are Airflow's schema names;
see `schemas` for the conventions).

`team_name` (Airflow's multi-team mode) is accepted as Airflow does with `[core] multi_team` off:
only as null (a value is a 422), and always answered null.
"""

from __future__ import annotations

import datetime
import enum
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, JsonValue, Tag, field_validator

from riir_airflow.broker.api.schemas import StrictBody

__all__ = [
    "BulkActionNotOnExistence",
    "BulkActionOnExistence",
    "BulkActionResponse",
    "BulkBody",
    "BulkCreateAction",
    "BulkDeleteAction",
    "BulkResponse",
    "BulkUpdateAction",
    "Config",
    "ConfigOption",
    "ConfigSection",
    "ConnectionBody",
    "ConnectionCollectionResponse",
    "ConnectionResponse",
    "ConnectionTestResponse",
    "DAGWarningCollectionResponse",
    "DAGWarningResponse",
    "DagWarningType",
    "PluginCollectionResponse",
    "PluginImportErrorCollectionResponse",
    "PoolBody",
    "PoolCollectionResponse",
    "PoolPatchBody",
    "PoolResponse",
    "ProviderCollectionResponse",
    "ProviderResponse",
    "VariableBody",
    "VariableCollectionResponse",
    "VariableResponse",
]

ID_LEN = 250


def _no_team(value: str | None) -> str | None:
    if value is not None:
        raise ValueError(
            "team_name cannot be set when multi_team mode is disabled. Please contact your administrator."
        )
    return value


# -- bulk (Airflow's BulkBody[T]) --------------------------------------------------------------
class BulkActionOnExistence(enum.StrEnum):
    FAIL = "fail"
    SKIP = "skip"
    OVERWRITE = "overwrite"


class BulkActionNotOnExistence(enum.StrEnum):
    FAIL = "fail"
    SKIP = "skip"


class BulkCreateAction[T](StrictBody):
    action: Literal["create"] = Field(description="The action to be performed on the entities.")
    entities: list[T] = Field(description="A list of entities to be created.")
    action_on_existence: BulkActionOnExistence = BulkActionOnExistence.FAIL


class BulkUpdateAction[T](StrictBody):
    action: Literal["update"] = Field(description="The action to be performed on the entities.")
    entities: list[T] = Field(description="A list of entities to be updated.")
    update_mask: list[str] | None = Field(default=None, description="The fields to update on each entity.")
    action_on_non_existence: BulkActionNotOnExistence = BulkActionNotOnExistence.FAIL


class BulkDeleteAction[T](StrictBody):
    action: Literal["delete"] = Field(description="The action to be performed on the entities.")
    entities: list[str | T] = Field(description="A list of entity id/key or entity objects to be deleted.")
    action_on_non_existence: BulkActionNotOnExistence = BulkActionNotOnExistence.FAIL


def _action_of(value: Any) -> str | None:
    action = value.get("action") if isinstance(value, dict) else getattr(value, "action", None)
    return action if action in ("create", "update", "delete") else None


class BulkBody[T](StrictBody):
    actions: list[
        Annotated[
            Annotated[BulkCreateAction[T], Tag("create")]
            | Annotated[BulkUpdateAction[T], Tag("update")]
            | Annotated[BulkDeleteAction[T], Tag("delete")],
            Discriminator(_action_of),
        ]
    ]


class BulkActionResponse(BaseModel):
    success: list[str] = Field(default_factory=list, description="The ids/keys the action succeeded for.")
    errors: list[dict[str, Any]] = Field(default_factory=list, description="The errors the action met.")


class BulkResponse(BaseModel):
    create: BulkActionResponse | None = None
    update: BulkActionResponse | None = None
    delete: BulkActionResponse | None = None


# -- variables ---------------------------------------------------------------------------------
class VariableBody(StrictBody):
    key: str = Field(max_length=ID_LEN)
    value: JsonValue
    description: str | None = None
    team_name: str | None = Field(default=None, max_length=50)

    _team = field_validator("team_name")(_no_team)

    @field_validator("value", mode="after")
    @classmethod
    def _as_text(cls, value: JsonValue) -> str:
        """Variables are text: a non-string JSON value is stored as its JSON (as Airflow does)."""
        return value if isinstance(value, str) else json.dumps(value, indent=2)


class VariableResponse(BaseModel):
    key: str
    value: str | None = None
    description: str | None = None
    is_encrypted: bool
    team_name: str | None = None


class VariableCollectionResponse(BaseModel):
    variables: list[VariableResponse]
    total_entries: int


# -- connections -------------------------------------------------------------------------------
class ConnectionBody(StrictBody):
    connection_id: str = Field(max_length=200, pattern=r"^[\w.-]+$")
    conn_type: str
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    port: int | None = None
    password: str | None = None
    extra: str | None = None
    team_name: str | None = Field(default=None, max_length=50)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _team = field_validator("team_name")(_no_team)

    @field_validator("extra")
    @classmethod
    def _json_object(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value == "":
            return "{}"
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(
                "The `extra` field must be a valid JSON object (e.g., {'key': 'value'}), "
                "but encountered non-JSON in `extra` field"
            ) from None
        if not isinstance(parsed, dict):
            raise ValueError("The `extra` field must be a valid JSON object (e.g., {'key': 'value'})")  # noqa: TRY004
        return value


class ConnectionResponse(BaseModel):
    connection_id: str
    conn_type: str
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema_: str | None = Field(default=None, alias="schema", serialization_alias="schema")
    port: int | None = None
    password: str | None = None
    extra: str | None = None
    team_name: str | None = None

    model_config = ConfigDict(populate_by_name=True)


class ConnectionCollectionResponse(BaseModel):
    connections: list[ConnectionResponse]
    total_entries: int


class ConnectionTestResponse(BaseModel):
    status: bool
    message: str


# -- pools -------------------------------------------------------------------------------------
PoolSlots = Annotated[int, Field(ge=-1, le=2**31 - 1, description="Number of slots. Use -1 for unlimited.")]


class PoolBody(StrictBody):
    name: str = Field(max_length=256)
    slots: PoolSlots
    description: str | None = None
    include_deferred: bool = False
    team_name: str | None = Field(default=None, max_length=50)

    _team = field_validator("team_name")(_no_team)


class PoolPatchBody(StrictBody):
    name: str | None = Field(default=None, alias="pool")
    slots: PoolSlots | None = None
    description: str | None = None
    include_deferred: bool | None = None
    team_name: str | None = Field(default=None, max_length=50)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    _team = field_validator("team_name")(_no_team)


class PoolResponse(BaseModel):
    name: str
    slots: int
    description: str | None = None
    include_deferred: bool
    occupied_slots: int
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    open_slots: int
    deferred_slots: int
    team_name: str | None = None


class PoolCollectionResponse(BaseModel):
    pools: list[PoolResponse]
    total_entries: int


# -- config ------------------------------------------------------------------------------------
class ConfigOption(StrictBody):
    key: str
    value: str | tuple[str, str]

    @property
    def text_format(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.key} = {self.value[0]} {self.value[1]}"
        return f"{self.key} = {self.value}"


class ConfigSection(StrictBody):
    name: str
    options: list[ConfigOption]

    @property
    def text_format(self) -> str:
        return f"[{self.name}]\n" + "\n".join(option.text_format for option in self.options) + "\n"


class Config(StrictBody):
    sections: list[ConfigSection]

    @property
    def text_format(self) -> str:
        return "\n".join(section.text_format for section in self.sections)


# -- plugins, providers, DAG warnings ----------------------------------------------------------
class PluginResponse(BaseModel):
    name: str
    macros: list[str]
    flask_blueprints: list[str]
    fastapi_apps: list[dict[str, Any]]
    fastapi_root_middlewares: list[dict[str, Any]]
    external_views: list[dict[str, Any]]
    react_apps: list[dict[str, Any]]
    appbuilder_views: list[dict[str, Any]]
    appbuilder_menu_items: list[dict[str, Any]]
    global_operator_extra_links: list[str]
    operator_extra_links: list[str]
    source: str
    listeners: list[str]
    timetables: list[str]


class PluginCollectionResponse(BaseModel):
    plugins: list[PluginResponse]
    total_entries: int


class PluginImportErrorResponse(BaseModel):
    source: str
    error: str


class PluginImportErrorCollectionResponse(BaseModel):
    import_errors: list[PluginImportErrorResponse]
    total_entries: int


class ProviderResponse(BaseModel):
    package_name: str
    description: str
    version: str
    documentation_url: str | None = None


class ProviderCollectionResponse(BaseModel):
    providers: list[ProviderResponse]
    total_entries: int


class DagWarningType(enum.StrEnum):
    ASSET_CONFLICT = "asset conflict"
    NON_EXISTENT_POOL = "non-existent pool"
    RUNTIME_VARYING_VALUE = "runtime varying value"


class DAGWarningResponse(BaseModel):
    dag_id: str
    warning_type: DagWarningType
    message: str
    timestamp: datetime.datetime
    dag_display_name: str


class DAGWarningCollectionResponse(BaseModel):
    dag_warnings: list[DAGWarningResponse]
    total_entries: int
