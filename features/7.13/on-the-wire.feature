@wire
Feature: What crosses SIP-1 and SIP-2 reveals no MCPTT identity (clause 7.13, judged from captured packets)
  The MCPTT Service provider may require that MCPTT related identities and other sensitive
  information transferred between the MCPTT client and MCPTT service on the SIP-1 and SIP-2
  interfaces be protected at the application layer from any viewing, including protection from
  viewing at the SIP signaling layer. The verdict comes from the packets captured on both
  reference points, searched for every sensitive value in every encoding a reader could undo.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    And the MCPTT client of "alice" has registered through the SIP core

  @R713-CONF-SIP1 @R713-CONF-SIP2 @R713-CONF-CORE @R713-KEYID-SENT @R713-POLICY @tp:MCSEC-713-WIRE-001 @judges:client @judges:server @judges:core @ics:protection_required
  Scenario Outline: A protected <method> leaves no MCPTT ID or group ID readable on the wire
    When the MCPTT client of "alice" sends a <method> whose mcptt-info names "bob" and the group "sip:group-fire-7@example.org"
    Then no MCPTT ID or group ID of the scenario crossed SIP-1 or SIP-2, in any encoding
    And every SIP body captured on SIP-1 and SIP-2 is S/MIME protected under the Key ID of the CEK of "alice"
    And the MCPTT server answers 200 with an mcptt-info protected under the same Key ID

    Examples:
      | method  |
      | MESSAGE |
      | INVITE  |
