{#-
    Current state of the teaching assignments (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('teaching_assignments') }}
