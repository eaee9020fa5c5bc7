Feature: MCPTT identities in SIP bodies are protected end to end under the KMS-distributed CEK (clause 7.13)
  The MCPTT Service provider may require that MCPTT related identities and other sensitive
  information transferred between the MCPTT client and MCPTT service on the SIP-1 and SIP-2
  interfaces be protected at the application layer from any viewing, including protection from
  viewing at the SIP signaling layer. The CEK is used to encrypt and decrypt the SIP MIME packets.
  A unique CEK identifier (Key ID) is sent in the SIP message to identify the CEK at the receiving
  SIP endpoint.

  Background:
    Given the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    And the MCPTT client of "alice" has registered through the SIP core

  @wire @R713-SMIME-CEK @R713-SMIME-USE @R713-KEYID-SENT @R713-CONF-SIP1 @R713-CONF-SIP2 @R713-CONF-CORE @tp:MCSEC-713-SIP-001 @judges:client @judges:server @judges:core @ics:protection_required
  Scenario Outline: A protected <method> round trip reveals no MCPTT identity to the SIP core
    When the MCPTT client of "alice" sends a <method> whose mcptt-info names "bob" and the group "sip:group-fire-7@example.org"
    Then the MCPTT server answers 200 with an mcptt-info protected under the same Key ID
    And the answer's mcptt-info names "alice" as the calling user
    And every body the SIP core relayed on SIP-1 and SIP-2 is S/MIME protected under the Key ID of "alice"'s CEK
    And no MCPTT ID or group ID of the scenario appears in anything the SIP core received or sent

    Examples:
      | method   |
      | MESSAGE  |
      | INVITE   |
      | PUBLISH  |
      | REGISTER |

  @R713-KEYID-SELECT @tp:MCSEC-713-SIP-002 @judges:client @judges:server
  Scenario: With two CEKs in use at once, the MCPTT server opens each body with the CEK its Key ID names
    Given the MCPTT client of "alice" holds a second CEK shared with the MCPTT server
    When the MCPTT client of "alice" sends a MESSAGE protected under her second CEK
    Then the MCPTT server answers 200 with an mcptt-info protected under the second CEK's Key ID
    When the MCPTT client of "alice" sends a MESSAGE protected under her first CEK
    Then the MCPTT server answers 200 with an mcptt-info protected under the first CEK's Key ID

  @R713-POLICY @tp:MCSEC-713-SIP-003 @judges:server @ics:protection_required
  Scenario: When protection is required, a sensitive body sent in clear is refused
    When the test system, registered as "bob", sends a MESSAGE with the mcptt-info in clear
    Then the MCPTT server answers 403

  @R713-EN-REJECT-UNKNOWN @RSIP-493 @tp:MCSEC-713-SIP-004 @judges:server
  Scenario: A body protected under a Key ID the KMS never issued is undecipherable
    When the test system, registered as "bob", sends a MESSAGE protected under a Key ID the KMS never issued
    Then the MCPTT server answers 493
    And the SIP core is told nothing by the answer about the key

  @RSIP-493 @tp:MCSEC-713-SIP-005 @judges:server
  Scenario: A body that does not open is answered exactly as an unknown Key ID
    When the test system, registered as "bob", sends a MESSAGE under her own CEK whose ciphertext was altered
    Then the MCPTT server answers 493
    When the test system, registered as "bob", sends a MESSAGE protected under a Key ID the KMS never issued
    Then the MCPTT server answers 493
    And the two refusals are identical apart from the transaction headers

  @R713-EN-REJECT-PARTY @tp:MCSEC-713-SIP-006 @judges:server @judges:core
  Scenario: A CEK bound to another user is refused, whatever identity the sender claims
    When the test system, registered as "bob", sends a MESSAGE under the CEK of "alice", claiming "alice" in P-Asserted-Identity
    Then the MCPTT server answers 493

  @R713-SMIME-REPLAY @tp:MCSEC-713-SIP-007 @judges:server @ics:replay_stamp
  Scenario: A protected body replayed in a new request is refused
    When the MCPTT client of "alice" sends a MESSAGE naming "bob"
    And the test system, registered as "alice", replays in a new MESSAGE the protected body the SIP core relayed
    Then the MCPTT server answers 403

  @RSIP-415 @tp:MCSEC-713-SIP-008 @judges:server
  Scenario: A required body of a type the MCPTT server does not support is answered 415 with what it accepts
    When the test system, registered as "bob", sends a MESSAGE with a required body of type "application/x-mcsec-unknown"
    Then the MCPTT server answers 415
    And the answer carries an Accept header listing application/pkcs7-mime

  @R713-EN-REJECT-PARTY @tp:MCSEC-713-SIP-009 @judges:server
  Scenario: An identity asserted by a sender outside the SIP core is not trusted (RFC 3325)
    When the test system, from outside the SIP core, sends the MCPTT server a MESSAGE protected under the CEK of "alice", asserting "alice"
    Then the MCPTT server answers 403

  @R713-POLICY @tp:MCSEC-713-SIP-010 @judges:server @ics:not-protection_required
  Scenario: When protection is not required, a sensitive body sent in clear is accepted
    When the test system, registered as "bob", sends a MESSAGE with the mcptt-info in clear
    Then the MCPTT server answers 200

  @R713-SMIME-REPLAY @tp:MCSEC-713-SIP-011 @judges:server @ics:replay_stamp
  Scenario Outline: A fresh protected body whose replay stamp is stale, missing or bound to another MESSAGE is refused
    When the test system, registered as "bob", sends a MESSAGE under her own CEK
    Then the MCPTT server answers 200
    When the test system, registered as "bob", sends a MESSAGE under her own CEK <defect>
    Then the MCPTT server answers 403

    Examples:
      | defect                                              |
      | whose replay stamp is older than the replay window  |
      | with no replay stamp                                |
      | whose replay stamp is bound to another MESSAGE      |

  @wire @R713-EN-REJECT-PARTY @tp:MCSEC-713-SIP-012 @judges:server
  Scenario Outline: A fresh MESSAGE under the CEK of "bob" that the SIP core relays asserting <identity> is answered <answer>
    When the test system, as the SIP core on SIP-2, sends the MCPTT server a fresh MESSAGE under the CEK of "bob" asserting <identity>
    Then the answer to the injected request is <answer>

    Examples:
      | identity                                          | answer          |
      | her own IMPU                                      | 200             |
      | her own IMPU with its user part in the other case | a refusal (4xx) |
      | a user the MCPTT server does not serve            | a refusal (4xx) |

  @R713-EN-BIND @R713-KEYID-SELECT @tp:MCSEC-713-SIP-013 @judges:server @ics:several_kms
  Scenario: A Key ID two KMSes both issued names, for each sender, the CEK of the sender's own KMS
    Given the MCPTT client of "carol" has registered through the SIP core before holding any key
    And the MCPTT client of "carol", homed at another KMS than "alice", has logged in and holds a CEK with the Key ID of "alice"'s CEK
    When the MCPTT client of "alice" sends a MESSAGE protected under her first CEK
    And the MCPTT client of "carol" sends a MESSAGE protected under her first CEK
    And the MCPTT client of "alice" sends a MESSAGE protected under her first CEK
    Then each answer of the MCPTT server is 200 with an mcptt-info its sender opened under the Key ID it sent, naming the sender as the calling user
