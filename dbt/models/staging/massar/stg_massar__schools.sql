{#-
    Current state of the schools (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('schools') }}
