@wire
Feature: Protected requests altered on the wire, and malformed SIP, get the answer the rules give
  Clause 7.13 protects SIP bodies with S/MIME under the CEK ([30] of TR 33.879: RFC 3261 section
  23). An attacker on SIP-1 or SIP-2 can replay, alter, strip or truncate what it sees, and send
  what no well-behaved stack would. Each injected request gets the specified answer, and a
  liveness exchange afterwards proves the peer still serves.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and holds a CEK shared with the MCPTT server
    And the MCPTT client of "alice" has registered through the SIP core
    And the MCPTT client of "alice" holds a second CEK shared with the MCPTT server
    And the MCPTT client of "alice" has sent a MESSAGE protected under her second CEK, captured on SIP-1 and SIP-2

  @tp:MCSEC-SIP-INJ-001
  Scenario Outline: A captured protected MESSAGE <mutation>, injected on <point>, is answered <status>
    When the test system injects on <point> the captured MESSAGE <mutation>
    Then the answer to the injected request is <status>
    And the peer on <point> still serves

    @R713-SMIME-REPLAY @judges:server @ics:replay_stamp
    Examples: replay
      | mutation             | point | status |
      | replayed as captured | SIP-1 | 403    |
      | replayed as captured | SIP-2 | 403    |

    @RSIP-493 @R713-SMIME-CEK @judges:server
    Examples: integrity of the CMS body
      | mutation                                     | point | status |
      | with a bit flipped in the ciphertext         | SIP-1 | 493    |
      | with a bit flipped in the ciphertext         | SIP-2 | 493    |
      | with a bit flipped in the authentication tag | SIP-2 | 493    |
      | with a bit flipped in the wrapped content key | SIP-2 | 493   |
      | truncated inside the CMS body                | SIP-2 | 493    |

    @R713-KEYID-SELECT @judges:server
    Examples: the Key ID names the CEK
      | mutation                                          | point | status |
      | with its Key ID swapped for her first CEK's       | SIP-1 | 493    |
      | with its Key ID swapped for her first CEK's       | SIP-2 | 493    |

    @R713-POLICY @judges:server @ics:protection_required
    Examples: protection stripped
      | mutation                            | point | status |
      | with its mcptt-info sent in clear   | SIP-1 | 403    |
      | with its mcptt-info sent in clear   | SIP-2 | 403    |

    @RSIP-ROBUST @judges:core
    Examples: oversized, answered by the SIP core
      | mutation                                         | point | status |
      | grown beyond the maximum message size, over TCP  | SIP-1 | 513    |

    @RSIP-ROBUST @judges:server
    Examples: oversized, answered by the MCPTT server
      | mutation                                         | point | status |
      | grown beyond the maximum message size, over TCP  | SIP-2 | 513    |

  @RSIP-ROBUST @tp:MCSEC-SIP-INJ-002
  Scenario Outline: The malformed request "<case>" sent on <point> gets the answer RFC 3261 gives it
    When the test system sends the malformed request "<case>" on <point>
    Then it is answered as RFC 3261 expects for "<case>"
    And the peer on <point> still serves

    @judges:core
    Examples: to the SIP core
      | case                           | point |
      | cseq-method-mismatch           | SIP-1 |
      | max-forwards-not-a-number      | SIP-1 |
      | negative-content-length        | SIP-1 |
      | content-length-beyond-datagram | SIP-1 |
      | unsupported-version            | SIP-1 |
      | duplicate-call-id              | SIP-1 |
      | header-without-colon           | SIP-1 |
      | bare-cr-in-header              | SIP-1 |
      | header-not-utf8                | SIP-1 |
      | body-without-content-type      | SIP-1 |
      | missing-separator              | SIP-1 |
      | missing-to                     | SIP-1 |
      | unusable-via                   | SIP-1 |
      | not-sip                        | SIP-1 |
      | malformed-response             | SIP-1 |
      | oversized                      | SIP-1 |

    @judges:server
    Examples: to the MCPTT server
      | case                           | point |
      | cseq-method-mismatch           | SIP-2 |
      | negative-content-length        | SIP-2 |
      | unsupported-version            | SIP-2 |
      | duplicate-call-id              | SIP-2 |
      | header-without-colon           | SIP-2 |
      | body-without-content-type      | SIP-2 |
      | missing-to                     | SIP-2 |
      | not-sip                        | SIP-2 |
      | oversized                      | SIP-2 |
