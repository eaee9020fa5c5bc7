Feature: The KMS authorises every CEK request by the IdM-signed KMS access token (clause 7.13)
  Before the KMS can provide a CEK, the MCPTT user is authorized firstly for MCPTT key
  management services by presenting a KMS access token to the KMS. The KMS performs
  authorization of the access token by verifying the token was properly signed by the
  Identity Management (IdM) server.

  Background:
    Given the IdM server and the KMS are reachable
    And "alice" has authenticated at the IdM with the authorization code flow and PKCE

  @R713-KM-TOKEN @tp:MCSEC-713-TOK-001 @judges:kms
  Scenario: A CEK request without an access token is refused with a Bearer challenge
    When "alice" asks the KMS for a CEK shared with "mcptt-as" without an access token
    Then the KMS answers 401 with a Bearer challenge carrying no error code
    And no key is given

  @R713-KM-SIG @tp:MCSEC-713-TOK-002 @judges:kms
  Scenario Outline: A CEK request with a token not properly signed by the IdM is refused
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting her token <forgery>
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given

    Examples:
      | forgery                                    |
      | unsigned, with alg none                    |
      | signed with another key under the IdM kid  |
      | signed with a key id the IdM never issued  |
      | MACed with HS256 keyed by the IdM public key |
      | with its expiry extended after signing     |
      | with its signature cut off                 |

  @R713-KM-SIG @tp:MCSEC-713-TOK-003 @judges:kms
  Scenario: A CEK request with an IdM-signed token naming a key the IdM does not publish is refused
    Given the IdM mints for "alice" a signed token under a key id its JWKS does not publish
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given

  @R713-KM-CLAIMS @tp:MCSEC-713-TOK-004 @judges:kms
  Scenario Outline: A CEK request with an IdM-signed token <defect> is refused
    Given the IdM mints for "alice" a signed token <defect>
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given

    Examples:
      | defect                                 |
      | that expired ten minutes ago           |
      | that is not valid for ten more minutes |
      | for another audience                   |
      | from another issuer                    |

    Examples: time claims that are not NumericDates (RFC 7519 section 2: a finite JSON number)
      | defect                                 |
      | whose exp is a string an hour ahead    |
      | whose exp is NaN                       |
      | whose exp is Infinity                  |
      | whose nbf is minus Infinity            |
      | whose iat is a string                  |
      | issued in the year 33658               |

  @R713-KM-SCOPE @tp:MCSEC-713-TOK-005 @judges:kms
  Scenario: A CEK request with a token without the key management scope is refused
    Given the IdM mints for "alice" a signed token without the key management scope
    When "alice" asks the KMS for a CEK shared with "mcptt-as" presenting the minted token
    Then the KMS answers 403 with the Bearer error "insufficient_scope"
    And no key is given

  @R713-KM-SUBJECT @tp:MCSEC-713-TOK-006 @judges:kms
  Scenario: A token belonging to another user does not obtain a CEK in this user's name
    Given "bob" has authenticated at the IdM with the authorization code flow and PKCE
    When "bob" asks the KMS for a CEK in the name of "alice" shared with "mcptt-as"
    Then the KMS refuses with KmsError 3 and HTTP status 403
    And no key is given

  @R713-KM-SIG @tp:MCSEC-713-TOK-007 @judges:kms
  Scenario: A CEK fetch by an MCPTT server with a token altered after signing is refused
    Given "alice" holds a CEK shared with the MCPTT server "mcptt-as"
    And the MCPTT server "mcptt-as" authenticates at the IdM with its client credentials
    When the MCPTT server "mcptt-as" fetches the CEK by its Key ID presenting its token with its expiry extended after signing
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no key is given
