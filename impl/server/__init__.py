"""The reference MCPTT application server for clause 7.13: a SIP UAS on UDP and TCP that opens
protected mcptt-info bodies with CEKs fetched from the KMS by Key ID, checks each CEK's binding to
the asserted sender, refuses replays, and protects the sensitive data it answers with.

Modules: ``config`` (the JSON configuration), ``keystore`` (server token and CEKs by Key ID),
``uas`` (the request handlers), ``server`` (process assembly); run with ``python -m impl.server``.
"""
