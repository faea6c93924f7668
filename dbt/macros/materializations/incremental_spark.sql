{#-
    On Spark an incremental model is rebuilt whole, as a table: the batch bookkeeping of
    macros/incremental_partitions.sql is DuckDB SQL (macro massar_tracks_lake_changes in massar_engine.sql).
    In a folder of its own: SQLFluff's jinja templater (dbt/.sqlfluff) cannot read a materialization.
-#}
{% materialization incremental, adapter='spark' -%}
    {%- set table_materialization = context['materialization_table_spark'] -%}
    {{ return(table_materialization()) }}
{%- endmaterialization %}
