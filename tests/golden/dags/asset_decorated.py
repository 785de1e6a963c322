"""The `@asset` decorator: a function becomes a DAG named after it (here the file stem) with one task
of the same name that has the asset as its outlet; its return value is the XCom; run by hand."""

from riir_airflow.sdk import asset

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@asset(schedule=None, uri="s3://golden/asset_decorated.json")
def asset_decorated(self, context):
    return {"name": self.name, "uri": self.uri, "ds": context["ds"]}
