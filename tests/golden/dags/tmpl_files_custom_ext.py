"""A custom BaseOperator subclass with template_fields and template_ext (`.sql`, `.json`):
`golden_query.sql` sits next to the DAG file, `payload.json` and `sub/nested.sql` (which
`{% include %}`s another file) on template_searchpath; a field value not ending in a
template_ext stays an inline template."""
import os

import pendulum

from riir_airflow.sdk import DAG, BaseOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

HERE = os.path.dirname(os.path.abspath(__file__))


class QueryOperator(BaseOperator):
    template_fields = ("sql", "payload", "note")
    template_ext = (".sql", ".json")

    def __init__(self, *, sql, payload="", note="", **kwargs):
        super().__init__(**kwargs)
        self.sql = sql
        self.payload = payload
        self.note = note

    def execute(self, context):
        return {"sql": self.sql, "payload": self.payload, "note": self.note}


with DAG(
    dag_id="tmpl_files_custom_ext",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    params={"kind": "click"},
    template_searchpath=os.path.join(HERE, "templates"),
) as dag:
    q1 = QueryOperator(task_id="next_to_dag", sql="golden_query.sql", payload="payload.json", note="{{ ds }} note")
    q2 = QueryOperator(task_id="nested_include", sql="sub/nested.sql", note="notes.txt")
    q1 >> q2
