"""The reference MCPTT application server for clauses 7.13 and 7.14: a SIP UAS on UDP and TCP that
opens protected mcptt-info bodies with CEKs fetched from the KMS by Key ID (7.13) or with CSKs its
users uploaded in MIKEY-SAKKE I_MESSAGEs (7.14), checks each key's binding to the asserted sender,
refuses replays, and protects the sensitive data it answers with.

Modules: ``config`` (the JSON configuration), ``ibc_config`` (its "ibc" item), ``keystore`` (server
token and CEKs by Key ID), ``ibc_keys`` (the server's own MIKEY-SAKKE key sets), ``csk_upload``
(I_MESSAGE checks), ``csk_store`` (CSKs bound to their uploaders), ``uas`` (the request handlers),
``server`` (process assembly); run with ``python -m mcsec.impl.server``.
"""
