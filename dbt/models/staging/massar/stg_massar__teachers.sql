{#-
    Current state of the teachers (macro massar_staging: key and columns from the contract). Their names
    are left out: no model uses them, and the analysts' file holds no names.
-#}
{{ massar_staging('teachers', drop_sensitive=true) }}
