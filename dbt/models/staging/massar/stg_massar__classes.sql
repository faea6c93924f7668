{#-
    Current state of the classes (macro massar_staging: key and columns from the contract).
-#}
{{ massar_staging('classes') }}
