"""The SQL models (``models/staging``, ``models/marts``) and their ``schema.yml``, shipped as package data
so an installed momentum_dag finds them; ``momentum_dag/storage/sql_models.py`` runs them."""
