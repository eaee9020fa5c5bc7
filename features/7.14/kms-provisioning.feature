Feature: The KMS provisions IBC key material only to users authorised by their KMS access token (clause 7.14)
  Before IBC can be used to establish and share the CEK, the MCPTT user is authorized firstly
  for MCPTT key management services and receive the IBC public and private identity key
  material. Authorization with the KMS is accomplished by the MCPTT user presenting a KMS access
  token to the KMS. The KMS performs authorization of the access token by verifying the token
  was properly signed by the Identity Management (IdM) server.

  Background:
    Given the IdM server and the KMS are reachable
    And "alice" has authenticated at the IdM with the authorization code flow and PKCE

  @R714-KM-PROV @R714-KM-AUTH-FIRST @R714-IDM-TOKEN @tp:MCSEC-714-KMS-001 @judges:kms
  Scenario: An authorised user obtains the KMS certificate and her key set for the key period in force
    Given the KMS access token of "alice" is signed by the IdM and names her MCPTT ID
    When "alice" asks the KMS for its certificate and for her key set
    Then the KMS certificate names the KMS and carries its SAKKE and ECCSI public keys
    And the key set is for the MCPTT ID of "alice" and the key period in force now
    And the key set's identifier, RSK and SSK validate against the KMS certificate

  @R714-KM-TOKEN @R714-KM-AUTH-FIRST @tp:MCSEC-714-KMS-002 @judges:kms
  Scenario Outline: A KMS <request> request without an access token is refused with a Bearer challenge
    When "alice" sends a KMS <request> request without an access token
    Then the KMS answers 401 with a Bearer challenge carrying no error code
    And no IBC key material is given

    Examples:
      | request   |
      | init      |
      | keyprov   |
      | certcache |

  @R714-KM-SIG @tp:MCSEC-714-KMS-003 @judges:kms
  Scenario Outline: A KMS <request> request with a token not properly signed by the IdM is refused
    When "alice" sends a KMS <request> request presenting her token <forgery>
    Then the KMS answers 401 with the Bearer error "invalid_token"
    And no IBC key material is given

    Examples:
      | request   | forgery                                      |
      | keyprov   | unsigned, with alg none                      |
      | keyprov   | signed with another key under the IdM kid    |
      | keyprov   | signed with a key id the IdM never issued    |
      | keyprov   | MACed with HS256 keyed by the IdM public key |
      | keyprov   | with its expiry extended after signing       |
      | keyprov   | with its signature cut off                   |
      | init      | unsigned, with alg none                      |
      | init      | with its expiry extended after signing       |
      | certcache | signed with a key id the IdM never issued    |
      | certcache | with its expiry extended after signing       |

  @R714-KM-CLAIMS @tp:MCSEC-714-KMS-004 @judges:kms
  Scenario Outline: A KMS <request> request with an IdM-signed token <defect> is refused
    Given the IdM mints for "alice" a signed token <defect>
    When "alice" sends a KMS <request> request presenting the minted token
    Then the KMS answers <status> with the Bearer error "<error>"
    And no IBC key material is given

    Examples:
      | request   | defect                                 | status | error              |
      | init      | that expired ten minutes ago           | 401    | invalid_token      |
      | keyprov   | that expired ten minutes ago           | 401    | invalid_token      |
      | certcache | that expired ten minutes ago           | 401    | invalid_token      |
      | keyprov   | that is not valid for ten more minutes | 401    | invalid_token      |
      | keyprov   | for another audience                   | 401    | invalid_token      |
      | keyprov   | from another issuer                    | 401    | invalid_token      |
      | keyprov   | whose exp is Infinity                  | 401    | invalid_token      |
      | init      | whose exp is a string an hour ahead    | 401    | invalid_token      |
      | keyprov   | whose nbf is minus Infinity            | 401    | invalid_token      |
      | keyprov   | without the key management scope       | 403    | insufficient_scope |
      | keyprov   | whose aud is the right value with a character appended | 401 | invalid_token |
      | keyprov   | whose aud is the right value in the other case         | 401 | invalid_token |
      | keyprov   | whose iss is the right value with a trailing slash     | 401 | invalid_token |
      | keyprov   | whose scope is the right value with a character appended | 403 | insufficient_scope |
      | keyprov   | that expired just beyond the leeway                    | 401 | invalid_token |
      | keyprov   | that becomes valid just beyond the leeway              | 401 | invalid_token |

  @R714-KM-SUBJECT @tp:MCSEC-714-KMS-005 @judges:kms
  Scenario: A token belonging to another user obtains no key set for this user's identity
    Given "bob" has authenticated at the IdM with the authorization code flow and PKCE
    When "bob" asks the KMS for the key set of "alice"
    Then the KMS refuses with KmsError 3 and HTTP status 403
    And no IBC key material is given

  @R714-KM-SUBJECT @tp:MCSEC-714-KMS-006 @judges:kms
  Scenario Outline: A token of the other kind of principal obtains no key set: <request>
    When <request>
    Then the KMS refuses the request
    And no IBC key material is given

    Examples:
      | request                                                         |
      | the MCPTT server "mcptt-as" asks the KMS for the key set of "alice" |
      | "alice" asks the KMS for the key set of the MCPTT server "mcptt-as" |

  @R714-KM-SUBJECT @tp:MCSEC-714-KMS-007 @judges:kms
  Scenario: A keyprov request whose body names another user than the token's is refused
    Given "bob" has authenticated at the IdM with the authorization code flow and PKCE
    When "bob" asks the KMS for her own key set in the path, with a request body naming "alice"
    Then the KMS refuses the request
    And no IBC key material is given

  @R714-KM-PROV @tp:MCSEC-714-KMS-008 @judges:kms
  Scenario Outline: An authorised user obtains her key set with a keyprov request <form>
    When "alice" asks the KMS for its certificate and for her key set with a keyprov request <form>
    Then the key set is for the MCPTT ID of "alice" and the key period in force now
    And the key set's identifier, RSK and SSK validate against the KMS certificate

    Examples:
      | form                                             |
      | naming no user URI in its path                   |
      | naming her user URI alone in its path            |
      | naming her user URI and the time now in its path |

  @R714-KM-PROV @tp:MCSEC-714-KMS-009 @judges:kms
  Scenario Outline: The KMS's <request> answer carries the ClientReqUrl of the request
    When "alice" sends a KMS <request> request whose KmsRequest names the URL it is posted to as ClientReqUrl
    Then the KMS answers 200 with a KmsResponse whose ClientReqUrl is the URL the request was posted to

    Examples:
      | request   |
      | init      |
      | keyprov   |
      | certcache |
