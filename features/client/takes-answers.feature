Feature: The MCPTT client takes nothing from an answer that is not protected under a CEK it holds (clause 7.13)
  The CEK is used to encrypt and decrypt the SIP MIME packets. A unique CEK identifier (Key ID) is sent
  in the SIP message to identify the CEK at the receiving SIP endpoint. Editor's Note: Identification
  of the unique CEK is FFS. Use of a Key ID alone may not be sufficient.

  The answers come from the test system's scripted MCPTT server, reached through the lab's SIP core by
  the profile's second MCPTT server identity. It holds the client's CEK from the KMS, in the MCPTT
  server's name. What the client did with an answer is judged from its upper tester's report (the
  API's way to say it refused) and from what it sent next on SIP-1.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    And the MCPTT client of "alice" has registered through the SIP core

  @wire @tp:MCSEC-CLI-004 @judges:client
  Scenario Outline: An answer <defect> is reported undecipherable and its Key ID is not used after
    Given the scripted MCPTT server answers 200 with an mcptt-info <defect>
    When the MCPTT client of "alice" sends a MESSAGE to the scripted MCPTT server
    Then the MCPTT client reports the answer's mcptt-info undecipherable and takes nothing of it
    When the MCPTT client of "alice" sends a MESSAGE naming "bob"
    Then that MESSAGE the MCPTT client of "alice" sent on SIP-1 is protected under the Key ID of her CEK

    @R713-RX-AUTH
    Examples: it does not open
      | defect                                                   |
      | under her CEK whose authentication tag was altered        |

    @R713-EN-CLIENT-KEYID @R713-KEYID-SELECT
    Examples: a Key ID she does not hold
      | defect                                                   |
      | under a Key ID the KMS never issued                       |
      | under the Key ID of a CEK of "bob"                        |

  @R713-RX-CLEAR @tp:MCSEC-CLI-005 @judges:client
  Scenario Outline: A clear mcptt-info in the answer to its <method> is not taken when protection is required
    Given the scripted MCPTT server answers 200 with an mcptt-info in clear
    When the MCPTT client of "alice" sends a <method> to the scripted MCPTT server
    Then the MCPTT client reports the answer's mcptt-info unprotected and takes nothing of it

    Examples:
      | method  |
      | MESSAGE |
      | INVITE  |
      | PUBLISH |
