"""Templates inside nested op_args / op_kwargs structures (lists, dicts, tuples), templates_dict,
`literal` inside a structure, a custom object with its own template_fields inside op_kwargs,
and a custom BaseOperator with template_fields of several types (str, list, dict, int)."""
import pendulum

from riir_airflow.sdk import DAG, BaseOperator, literal
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"p": "from-conf"}}


class Box:
    template_fields = ("inner",)

    def __init__(self, inner, untouched):
        self.inner = inner
        self.untouched = untouched

    def __repr__(self):
        return f"Box(inner={self.inner!r}, untouched={self.untouched!r})"


class Greeter(BaseOperator):
    template_fields = ("greeting", "names", "meta", "count")

    def __init__(self, *, greeting, names, meta, count, **kwargs):
        super().__init__(**kwargs)
        self.greeting = greeting
        self.names = names
        self.meta = meta
        self.count = count
        self.not_templated = "{{ ds }}"

    def execute(self, context):
        return {
            "greeting": self.greeting,
            "names": self.names,
            "meta": self.meta,
            "count": self.count,
            "not_templated": self.not_templated,
        }


def _collect(first, second, third, nested=None, lit=None, box=None, templates_dict=None):
    return {
        "first": first,
        "second": second,
        "third": third,
        "nested": nested,
        "lit": lit,
        "box_inner": box.inner,
        "box_untouched": box.untouched,
        "templates_dict": templates_dict,
    }


with DAG(
    dag_id="tmpl_nested_structures",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    params={"p": "param-p"},
) as dag:
    collect = PythonOperator(
        task_id="collect",
        python_callable=_collect,
        op_args=["{{ ds }}", ["{{ ds_nodash }}", {"k": "{{ task.task_id }}"}], 3],
        op_kwargs={
            "nested": {"a": ["{{ params.p }}", ("tuple {{ ds }}", 2)], "b": {"c": "{{ dag.dag_id }}"}},
            "lit": [literal("{{ ds }}"), "{{ ds }}"],
            "box": Box(inner="box {{ ds }}", untouched="{{ ds }}"),
        },
        templates_dict={"when": "{{ ds }}", "list": ["{{ params.p }}", 1]},
    )
    greet = Greeter(
        task_id="greet",
        greeting="hello {{ params.p }}",
        names=["{{ ds }}", "static", 7],
        meta={"key {{ ds }}": "value {{ ds }}", "n": None},
        count=5,
    )
    collect >> greet
