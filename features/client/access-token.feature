@wire
Feature: The MCPTT client presents its KMS access token to the KMS only (clauses 7.13 and 7.14)
  Before the KMS can provide a CEK, the MCPTT user is authorized firstly for MCPTT key management
  services by presenting a KMS access token to the KMS. Authorization with the KMS is accomplished by
  the MCPTT user presenting a KMS access token to the KMS.

  The client's token cannot be known to the test system, but every token the IdM signs starts with the
  same JOSE header, which is searched for in every encoding in what the client sent on SIP-1, and in
  the plaintext of its protected bodies as their recipient, the MCPTT server, reads them.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable

  @R713-TOKEN-KMS-ONLY @tp:MCSEC-CLI-TOK-001 @judges:client
  Scenario: No access token leaves the MCPTT client on SIP-1 in a session with a KMS CEK
    Given the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    When the MCPTT client of "alice" registers, and sends a MESSAGE, an INVITE and a PUBLISH
    Then no access token is in what the MCPTT client of "alice" sent on SIP-1, nor in its protected bodies opened

  @R714-TOKEN-KMS-ONLY @tp:MCSEC-CLI-TOK-002 @judges:client
  Scenario: No access token leaves the MCPTT client on SIP-1 in a session with a CSK
    Given the MCPTT client of "alice" has logged in and provisioned her IBC key material
    And the MCPTT client of "alice" has registered through the SIP core before holding any key
    When the MCPTT client of "alice" uploads a CSK
    And the MCPTT client of "alice" registers, and sends a MESSAGE, an INVITE and a PUBLISH
    Then no access token is in what the MCPTT client of "alice" sent on SIP-1, nor in its protected bodies opened
