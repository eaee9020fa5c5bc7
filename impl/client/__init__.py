"""The reference MCPTT client for clauses 7.13 and 7.14: a SIP UA that logs in at the IdM, gets CEKs
from the KMS (7.13) or creates CSKs and uploads them to the MCPTT server in MIKEY-SAKKE I_MESSAGEs
with the IBC key material the KMS provisions (7.14), and sends its mcptt-info protected under a key
through the SIP core to the MCPTT server, driven through the upper-tester control API
(docs/upper-tester.md).

Modules: ``config``, ``session`` (login and held keys), ``ibc`` (IBC key material and CSKs), ``ua``
(SIP requests and protected answers), ``upper_tester`` (the control API), ``errors``, ``client``
(process assembly); run with ``python -m mcsec.impl.client``.
"""
