-- nested in a sub-folder of the search path
SELECT '{{ ds_nodash }}' AS d{% include 'sub/part.sql' %}
