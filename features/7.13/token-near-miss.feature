Feature: The KMS compares each identity in the access token exactly, and its validity window to the leeway (clause 7.13)
  The KMS performs authorization of the access token by verifying the token was properly signed by
  the Identity Management (IdM) server.
  A value far from the truth proves little: almost any check refuses it. These tokens are properly
  signed by the IdM and differ from a good one only by a near miss (docs/near-miss.md): the right
  value with a character more or less, in the other case, with a trailing slash, inside a list, in
  another JSON type; or a validity window a third of the declared leeway beyond or within its edge.

  Background:
    Given the IdM server and the KMS are reachable
    And "alice" has authenticated at the IdM with the authorization code flow and PKCE

  @R713-KM-CLAIMS @tp:MCSEC-713-NM-001 @judges:kms
  Scenario Outline: A CEK request with a token whose aud is <near miss> is refused
    Given the IdM mints for "alice" a signed token whose aud is <near miss>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given

    Examples:
      | near miss                                          |
      | the right value with a character appended          |
      | the right value with a character put in front      |
      | the right value cut short                          |
      | the right value in the other case                  |
      | the right value with a trailing slash              |
      | a list holding only a near miss of the right value |
      | an object naming the right value                   |
      | a number                                           |
      | null                                               |

  @R713-KM-CLAIMS @tp:MCSEC-713-NM-002 @judges:kms
  Scenario Outline: A CEK request with a token whose aud is <near miss> is served (RFC 7519 4.1.3: aud may be a list)
    Given the IdM mints for "alice" a signed token whose aud is <near miss>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS gives "alice" a 128-bit CEK with a Key ID carrying the CEK purpose tag

    Examples:
      | near miss                                        |
      | a list holding the right value                   |
      | a list holding another value and the right value |

  @R713-KM-CLAIMS @tp:MCSEC-713-NM-003 @judges:kms
  Scenario Outline: A CEK request with a token whose iss is <near miss> is refused
    Given the IdM mints for "alice" a signed token whose iss is <near miss>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given

    Examples:
      | near miss                                     |
      | the right value with a character appended     |
      | the right value with a character put in front |
      | the right value cut short                     |
      | the right value in the other case             |
      | the right value with a trailing slash         |
      | a list holding the right value                |
      | an object naming the right value              |
      | null                                          |

  @R713-KM-SCOPE @tp:MCSEC-713-NM-004 @judges:kms
  Scenario Outline: A CEK request with a token whose scope is <near miss> is refused
    Given the IdM mints for "alice" a signed token whose scope is <near miss>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS refuses the request
    And no key is given

    Examples:
      | near miss                                     |
      | the right value with a character appended     |
      | the right value with a character put in front |
      | the right value cut short                     |
      | the right value in the other case             |
      | a list holding the right value                |
      | an object naming the right value              |

  @R713-KM-SUBJECT @tp:MCSEC-713-NM-005 @judges:kms
  Scenario Outline: A CEK request in her own name with a token whose mcptt_id is <near miss> is refused
    Given the IdM mints for "alice" a signed token whose mcptt_id is <near miss>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS refuses the request
    And no key is given

    Examples:
      | near miss                                     |
      | the right value with a character appended     |
      | the right value with a character put in front |
      | the right value cut short                     |
      | the right value in the other case             |
      | a list holding the right value                |

  @R713-EN-SERVER @tp:MCSEC-713-NM-006 @judges:kms
  Scenario Outline: A CEK fetch by Key ID with a server token whose sub is <near miss> is refused
    Given "alice" holds a CEK shared with the MCPTT server "mcptt-as"
    And the IdM mints for "mcptt-as" a signed token whose sub is <near miss>
    When the MCPTT server "mcptt-as" fetches the CEK by its Key ID presenting the minted token
    Then the KMS refuses the request
    And no key is given

    Examples:
      | near miss                                 |
      | the right value with a character appended |
      | the right value cut short                 |
      | the right value in the other case         |

  @R713-KM-CLAIMS @tp:MCSEC-713-NM-007 @judges:kms
  Scenario Outline: A CEK request with a token <edge> is refused
    Given the IdM mints for "alice" a signed token <edge>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given

    Examples:
      | edge                                      |
      | that expired just beyond the leeway       |
      | that becomes valid just beyond the leeway |

  @R713-KM-CLAIMS @tp:MCSEC-713-NM-008 @judges:kms
  Scenario Outline: A CEK request with a token <edge> is served
    Given the IdM mints for "alice" a signed token <edge>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS gives "alice" a 128-bit CEK with a Key ID carrying the CEK purpose tag

    Examples:
      | edge                                      |
      | that expired just within the leeway       |
      | that becomes valid just within the leeway |
