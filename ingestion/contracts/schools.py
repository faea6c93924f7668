"""Schools (établissements), as exported by the school-structure module."""

from ingestion.contracts.base import REGION_CODE, SCHOOL_CODE, SCHOOL_YEAR, Column, Contract

CONTRACT = Contract(
    name="schools",
    description="One row per school and school year: location (HCP codes), sector, area and cycle.",
    massar_module="Structure pédagogique / établissements",
    primary_key=("school_year", "school_code"),
    columns=(
        SCHOOL_YEAR,
        REGION_CODE,
        Column(
            "province_code",
            "string",
            "HCP code of the province or prefecture, RR.PPP.",
            codelist="code_provinces",
            aliases=("code_province", "CodeProvince"),
        ),
        SCHOOL_CODE,
        Column("school_name_fr", "string", "School name in Latin script.", aliases=("nom_etablissement",)),
        Column("school_name_ar", "string", "School name in Arabic script.", aliases=("اسم_المؤسسة",)),
        Column(
            "sector",
            "string",
            "public or private.",
            allowed=("public", "private"),
            aliases=("secteur",),
        ),
        Column("area", "string", "urban or rural.", allowed=("urban", "rural"), aliases=("milieu",)),
        Column(
            "cycle_code", "string", "Cycle the school teaches.", codelist="code_cycles", aliases=("cycle",)
        ),
    ),
)
