"""`@task.sensor`: the function is the poke; its return (bool or PokeReturnValue) decides."""

from __future__ import annotations

from collections.abc import Sequence

from riir_airflow.providers.standard.decorators.python import python_decorator
from riir_airflow.providers.standard.operators.python import determine_kwargs
from riir_airflow.sdk.context import Context, context_merge
from riir_airflow.sdk.decorators import DecoratedOperator
from riir_airflow.sdk.sensors import BaseSensorOperator, PokeReturnValue

__all__ = ["DecoratedSensorOperator", "sensor_task"]


class DecoratedSensorOperator(DecoratedOperator, BaseSensorOperator):
    custom_operator_name = "@task.sensor"
    template_fields: Sequence[str] = ("op_args", "op_kwargs")

    def poke(self, context: Context) -> PokeReturnValue:
        context_merge(context, self.op_kwargs)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        result = self.python_callable(*self.op_args, **kwargs)
        return result if isinstance(result, PokeReturnValue) else PokeReturnValue(bool(result))


sensor_task = python_decorator(DecoratedSensorOperator)
