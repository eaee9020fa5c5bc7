"""The reference MCPTT client for clause 7.13: a SIP UA that logs in at the IdM, gets CEKs from the
KMS, and sends its mcptt-info protected under a CEK through the SIP core to the MCPTT server, driven
through the upper-tester control API (docs/upper-tester.md).

Modules: ``config``, ``session`` (login and CEKs), ``ua`` (SIP requests and protected answers),
``upper_tester`` (the control API), ``errors``, ``client`` (process assembly); run with
``python -m impl.client``.
"""
