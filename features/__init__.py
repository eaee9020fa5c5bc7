"""Package data: the .feature files per clause, the requirement catalogue and the clause text.

Installed as ``mcsec.features`` and read with importlib.resources (mcsec/catalogue.py)."""
