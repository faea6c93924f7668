{#-
    Current state of the teachers (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('teachers') }}
