@wire
Feature: The MCPTT client answers the requests it receives under the CEK of the request, or with 493 (clause 7.13)
  The CEK is used to encrypt and decrypt the SIP MIME packets. The MCPTT client is a SIP session
  endpoint: the MCPTT server sends it requests too, and the sensitive bodies of its answers are
  protected like those of its requests. A UAS that cannot decrypt a body answers 493 Undecipherable
  (RFC 3261 21.4.28).

  The test system plays the MCPTT server: it sends each request through the lab's SIP core, protected
  under the client's CEK fetched from the KMS in the MCPTT server's name, and judges the client's answer
  as it crossed SIP-1.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    And the MCPTT client of "alice" has registered through the SIP core
    And the upper tester has asked the MCPTT client of "alice" to answer with an mcptt-info naming "bob" and the group "sip:group-fire-7@example.org"

  @R713-SMIME-USE @R713-POLICY @R713-CONF-SIP1 @tp:MCSEC-CLI-006 @judges:client
  Scenario Outline: The MCPTT client answers an incoming protected <method> with its mcptt-info protected under the request's Key ID
    When the test system, as the MCPTT server, sends "alice" a <method> protected under her CEK
    Then the MCPTT client of "alice" answers 200
    And its answer on SIP-1 carries its mcptt-info protected under the Key ID of her CEK, opening with that CEK to what the upper tester asked for
    And nothing the MCPTT client of "alice" sent on SIP-1 reveals an MCPTT ID or group ID of the scenario

    Examples:
      | method  |
      | MESSAGE |
      | INVITE  |

  @RSIP-HANDLING @R713-SMIME-USE @tp:MCSEC-CLI-007 @judges:client
  Scenario Outline: The protected body of the MCPTT client's answer to an incoming <method> requires handling
    When the test system, as the MCPTT server, sends "alice" a <method> protected under her CEK
    Then the MCPTT client of "alice" answers 200
    And every protected body of its answer on SIP-1 carries Content-Disposition with handling=required

    Examples:
      | method  |
      | MESSAGE |
      | INVITE  |

  @RSIP-493 @tp:MCSEC-CLI-008 @judges:client
  Scenario Outline: A MESSAGE to the MCPTT client <defect> is answered 493
    When the test system, as the MCPTT server, sends "alice" a MESSAGE <defect>
    Then the MCPTT client of "alice" answers 493

    @R713-EN-CLIENT-KEYID
    Examples: a Key ID she does not hold
      | defect                                              |
      | protected under a Key ID the KMS never issued        |

    @R713-RX-AUTH
    Examples: a body that does not open
      | defect                                              |
      | under her CEK whose ciphertext was altered           |
