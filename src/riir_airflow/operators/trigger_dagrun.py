"""Airflow 2.x path `airflow.operators.trigger_dagrun` (3.x: `airflow.providers.standard.operators.trigger_dagrun`)."""

from riir_airflow.providers.standard.operators.trigger_dagrun import (
    XCOM_RUN_ID,
    TriggerDagRunOperator,
)

__all__ = ["XCOM_RUN_ID", "TriggerDagRunOperator"]
