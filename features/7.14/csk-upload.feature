Feature: The MCPTT client establishes a CSK with MIKEY-SAKKE and protects SIP bodies with it (clause 7.14)
  If protection of the SIP-1 and SIP-2 interfaces is required by the MCPTT service provider,
  then IBC is used to create the CEK, confidentiality protect the CEK, integrity protect the CEK,
  and forward the CEK to the MCPTT application server. The MCPTT application server receives the
  SIP message with the protected CEK and retrieves it from the message. The CEK is then used for
  S/MIME protection of the SIP payload in subsequent SIP messages.

  Background:
    Given the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and provisioned her IBC key material
    And the MCPTT client of "alice" has registered through the SIP core before holding any key
    And the MCPTT client of "alice" has uploaded a CSK to the MCPTT server in a MIKEY-SAKKE I_MESSAGE

  @wire @R714-IBC-ESTABLISH @R714-KM-PROV @R714-CEK-CREATE @R714-CEK-CONF @R714-CEK-INT @R714-CEK-FWD @R714-AS-RETRIEVE @tp:MCSEC-714-CSK-001 @judges:client @judges:server
  Scenario: The CSK travels to the MCPTT server SAKKE-encrypted and ECCSI-signed in an I_MESSAGE through the SIP core
    Then the CSK-ID of "alice" is 32 bits with the CSK purpose tag in its 4 most significant bits
    And the SIP core relayed to the MCPTT server one MESSAGE with an application/mikey body, an I_MESSAGE signed by "alice" for the MCPTT server's identity naming her CSK-ID
    And no MCPTT ID or group ID of the scenario appears in anything the SIP core received or sent

  @wire @R714-SMIME-USE @R714-CONF-SIP1 @R714-CONF-SIP2 @R714-CONF-CORE @tp:MCSEC-714-CSK-002 @judges:client @judges:server @judges:core @ics:protection_required
  Scenario Outline: A <method> protected under the CSK round trips and reveals no MCPTT identity to the SIP core
    When the MCPTT client of "alice" sends a <method> whose mcptt-info names "bob" and the group "sip:group-fire-7@example.org"
    Then the MCPTT server answers 200 with an mcptt-info protected under the same Key ID
    And the Key ID is the CSK-ID the MCPTT client of "alice" uploaded
    And the answer's mcptt-info names "alice" as the calling user
    And every mcptt-info body the SIP core relayed on SIP-1 and SIP-2 is S/MIME protected under the CSK-ID of "alice"
    And no MCPTT ID or group ID of the scenario appears in anything the SIP core received or sent

    Examples:
      | method   |
      | MESSAGE  |
      | INVITE   |
      | PUBLISH  |
      | REGISTER |

  @R714-POLICY @tp:MCSEC-714-CSK-003 @judges:server @ics:protection_required
  Scenario: With a CSK established, a sensitive body sent in clear is still refused
    When the test system, registered as "alice", sends a MESSAGE with the mcptt-info in clear
    Then the MCPTT server answers 403
