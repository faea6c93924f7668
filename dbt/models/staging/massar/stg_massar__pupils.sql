{#-
    Current state of the pupils (macro massar_staging: key and columns from the contract).
    parent_secret_hash reads as null in a lake written before the column existed.
-#}
{{ massar_staging('pupils', optional_columns={'parent_secret_hash': 'varchar'}) }}
