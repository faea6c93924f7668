{#-
    Current state of the absences (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('absences') }}
