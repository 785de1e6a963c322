"""Jinja features: the `do` extension, loops/conditionals/set, built-in filters,
user_defined_macros (values and callables), user_defined_filters, `literal(...)` suppressing
rendering, and a string with no template markup."""
import pendulum

from riir_airflow.sdk import DAG, literal
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"flag": True}}


def _double(x):
    return x * 2


def _shout(s):
    return s.upper() + "!"


def _echo(values):
    return values


with DAG(
    dag_id="tmpl_jinja_features",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    params={"flag": False, "items": ["b", "a", "c"]},
    user_defined_macros={"project": "riir", "double": _double, "limits": {"max": 10}},
    user_defined_filters={"shout": _shout, "wrap": lambda s, ch="*": f"{ch}{s}{ch}"},
) as dag:
    PythonOperator(
        task_id="jinja",
        python_callable=_echo,
        op_kwargs={
            "values": {
                "do_ext": "{% set acc = [] %}{% do acc.append(ds) %}{% do acc.append('x') %}{{ acc | join('|') }}",
                "loop": "{% for i in range(3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}",
                "cond": "{% if params.flag %}yes{% else %}no{% endif %}",
                "sorted": "{{ params['items'] | sort | join(',') }}",
                "fmt": "{{ '%05d' | format(42) }}",
                "upper": "{{ dag.dag_id | upper }}",
                "replace": "{{ ds | replace('-', '/') }}",
                "macro_value": "{{ project }}",
                "macro_callable": "{{ double(21) }}",
                "macro_dict": "{{ limits.max + 1 }}",
                "filter_custom": "{{ 'hi' | shout }}",
                "filter_args": "{{ ds | wrap('#') }}",
                "filter_chain": "{{ ds_nodash | wrap | shout }}",
                "literal": literal("{{ ds }} stays {{ raw }}"),
                "no_markup": "plain text",
                "whitespace": "{{- ' trimmed ' | trim -}}",
                "raw_block": "{% raw %}{{ not rendered }}{% endraw %}",
            }
        },
    )
    BashOperator(task_id="bash_macro", bash_command="echo {{ project }} {{ double(2) }} {{ 'x' | shout }}")
