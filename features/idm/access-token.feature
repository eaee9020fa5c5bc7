@judges:idm
Feature: The KMS access token the IdM issues is signed by it, for the KMS, for the principal who authenticated
  The KMS authorises a request by verifying that the access token was properly signed by the IdM
  (TR 33.879 7.13); the token is user specific (7.14). So the token the IdM issues must be one the
  KMS can check and must accept: a JWS signed ES256 with a key of the IdM's JWKS (the kid names
  it), aud the KMS URI (or an array holding it), iss the issuer of the IdM's discovery document,
  a scope holding the key management scope, a user's mcptt_id, exp in the future and no further
  ahead than the configured lifetime (ixit.access_token_lifetime_s), iat not in the future (RFC
  7519 4.1, RFC 8693 4.2). Times are compared with the test system's clock when the token arrived,
  allowing the clock skew ixit.token_leeway_s.

  Each property is its own test purpose, judged on a token freshly obtained the way the lab's roles
  obtain one: a user with the code grant and PKCE, an MCPTT server with its client credentials.

  Background:
    Given the IdM is reachable and publishes its discovery document and JWKS

  @tp:MCSEC-IDM-013
  Scenario Outline: The KMS access token of a user who signed in <property>
    When "<user>" signs in at the IdM with the right password
    And the test system redeems the authorization code of the sign-in with its PKCE verifier
    Then the access token <property>

    @ROIDC-AT-SIG
    Examples: signature
      | user  | property                                            |
      | alice | is signed ES256 with a key the IdM's JWKS publishes |

    @ROIDC-AT-AUD
    Examples: audience
      | user  | property                      |
      | alice | names the KMS as its audience |

    @ROIDC-AT-ISS
    Examples: issuer
      | user  | property               |
      | alice | names the IdM's issuer |

    @ROIDC-AT-SCOPE
    Examples: scope
      | user  | property                         |
      | alice | carries the key management scope |

    @R714-IDM-TOKEN
    Examples: the user
      | user  | property                                     |
      | alice | names the MCPTT ID of the user who signed in |
      | bob   | names the MCPTT ID of the user who signed in |

    @ROIDC-AT-EXP
    Examples: expiry
      | user  | property                                              |
      | alice | expires in the future, within the configured lifetime |

    @ROIDC-AT-IAT
    Examples: issue time
      | user  | property                     |
      | alice | was not issued in the future |

  @tp:MCSEC-IDM-014
  Scenario Outline: The KMS access token of an MCPTT server authenticated by its client credentials <property>
    When the MCPTT server "mcptt-as" asks the IdM for a token with its client_id and its own secret
    Then the access token <property>

    @ROIDC-AT-SIG
    Examples: signature
      | property                                            |
      | is signed ES256 with a key the IdM's JWKS publishes |

    @ROIDC-AT-AUD
    Examples: audience
      | property                      |
      | names the KMS as its audience |

    @ROIDC-AT-ISS
    Examples: issuer
      | property               |
      | names the IdM's issuer |

    @ROIDC-AT-SCOPE
    Examples: scope
      | property                         |
      | carries the key management scope |

    @ROIDC-AT-EXP
    Examples: expiry
      | property                                              |
      | expires in the future, within the configured lifetime |

    @ROIDC-AT-IAT
    Examples: issue time
      | property                     |
      | was not issued in the future |
