@wire
Feature: The MCPTT client protects every sensitive body it sends under the CEK and Key ID it obtained (clause 7.13)
  The MCPTT Service provider may require that MCPTT related identities and other sensitive information
  transferred between the MCPTT client and MCPTT service on the SIP-1 and SIP-2 interfaces be protected
  at the application layer from any viewing. The CEK is used to encrypt and decrypt the SIP MIME
  packets. A unique CEK identifier (Key ID) is sent in the SIP message to identify the CEK at the
  receiving SIP endpoint.

  The MCPTT client is driven through its upper tester and judged from what it put on SIP-1, as
  captured: the test system opens each body with the CEK the KMS gives the MCPTT server for the body's
  Key ID, with the MCPTT server's credentials from the profile.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    And the MCPTT client of "alice" has registered through the SIP core

  @R713-POLICY @R713-SMIME-USE @R713-KEYID-SENT @R713-CONF-SIP1 @tp:MCSEC-CLI-001 @judges:client
  Scenario Outline: Every <method> the MCPTT client sends carries its mcptt-info protected under her CEK
    When the MCPTT client of "alice" sends a <method> whose mcptt-info names "bob" and the group "sip:group-fire-7@example.org"
    Then every <method> the MCPTT client of "alice" sent on SIP-1 carries its mcptt-info protected under the Key ID of her CEK, opening with that CEK to what the upper tester asked for
    And nothing the MCPTT client of "alice" sent on SIP-1 reveals an MCPTT ID or group ID of the scenario

    Examples:
      | method   |
      | MESSAGE  |
      | INVITE   |
      | PUBLISH  |
      | REGISTER |

  @RSIP-HANDLING @R713-SMIME-USE @tp:MCSEC-CLI-002 @judges:client
  Scenario Outline: The protected bodies of every <method> the MCPTT client sends require handling
    When the MCPTT client of "alice" sends a <method> whose mcptt-info names "bob" and the group "sip:group-fire-7@example.org"
    Then every protected body of the <method> requests the MCPTT client of "alice" sent on SIP-1 carries Content-Disposition with handling=required

    Examples:
      | method   |
      | MESSAGE  |
      | INVITE   |
      | PUBLISH  |
      | REGISTER |

  @R713-KEYID-SENT @R713-SMIME-USE @tp:MCSEC-CLI-003 @judges:client
  Scenario Outline: With two CEKs live, each MESSAGE is protected under the CEK the upper tester <choice>
    Given the MCPTT client of "alice" holds a second CEK shared with the MCPTT server
    When the MCPTT client of "alice" sends a MESSAGE under her first CEK, <choice>
    And the MCPTT client of "alice" sends a MESSAGE under her second CEK, <choice>
    Then each MESSAGE the MCPTT client of "alice" sent on SIP-1 names the Key ID of the CEK it was sent under and opens with that CEK

    Examples:
      | choice                        |
      | named in the command          |
      | made the active one before    |
