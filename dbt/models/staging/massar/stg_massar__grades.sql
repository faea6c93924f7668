{#-
    Current state of the grades (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('grades') }}
