{#-
    Current state of the enrollments (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('enrollments') }}
