@judges:idm
Feature: The IdM authenticates the MCPTT user before a KMS access token exists (code grant with PKCE)
  The MCPTT user obtains a KMS access token during user authentication (TR 33.879 clauses 7.13
  and 7.14): the IdM issues an authorization code only to the user who proved her password, to
  the registered public OAuth client, and exchanges it once, against the PKCE verifier of the
  request it was issued for (RFC 6749 4.1, RFC 7636, OpenID Connect Core 1.0 3.1).

  The IdM is reached only over its protocol: its discovery document, the login page and login form
  of its authorization endpoint (fields username and password, docs/idm.md), its token endpoint
  and its JWKS. Wrong values are near misses of the right ones: what a careless comparison accepts.

  Where the standards leave the IdM a choice, the suite decides so:
  - a sign-in with a wrong password may show the login form again, or go to a page of the IdM's
    own, or redirect to the registered redirect URI with an authorization error code (RFC 6749
    4.1.2.1, OpenID Connect Core 3.1.2.6); it never carries a code, never redirects anywhere
    else, and is never an HTTP 5xx;
  - an authorization request from a client the IdM does not know sends the user agent nowhere but
    to the IdM's own pages (RFC 6749 4.1.2.1: it MUST NOT redirect to an unverified URI). Both the
    login page (GET) and the posted sign-in (POST) are judged: the form's hidden fields are the
    client's to change;
  - a token request without a code_verifier may be refused with invalid_request (a required
    parameter is missing) or invalid_grant (the code is bound to a challenge), both RFC 6749 5.2.

  Background:
    Given the IdM is reachable and publishes its discovery document and JWKS

  @R713-IDM-TOKEN @ROIDC-TOKEN-RESPONSE @tp:MCSEC-IDM-001
  Scenario: A user who signs in with her password, the code grant and PKCE obtains a KMS access token
    When "alice" signs in at the IdM with the right password
    And the test system redeems the authorization code of the sign-in with its PKCE verifier
    Then the IdM answers with a Bearer access token that no cache may store
    And the access token is a KMS access token for "alice" signed by the IdM

  @ROIDC-USER-AUTHN @tp:MCSEC-IDM-002
  Scenario Outline: A sign-in with a password that is not the user's own obtains no authorization code
    When "alice" signs in at the IdM with <password>
    Then the IdM issues no authorization code and redirects only to the registered redirect URI, with an error

    Examples:
      | password                                           |
      | the right password with its last character changed |
      | the right password cut short by its last character |
      | the right password in the other case               |
      | the password of another user                       |

  @ROIDC-USER-AUTHN @tp:MCSEC-IDM-003
  Scenario: An MCPTT server's client_id and secret at the login form obtain no authorization code
    When the MCPTT server "mcptt-as" signs in at the IdM's login form with its client_id and secret
    Then the IdM issues no authorization code and redirects only to the registered redirect URI, with an error

  @ROIDC-CLIENT-ID @tp:MCSEC-IDM-004
  Scenario Outline: An authorization request naming a client the IdM does not know gets no redirect and no code
    When "alice" signs in at the IdM with the right password, naming as client <client>
    Then the IdM issues no authorization code and does not redirect away from itself

    Examples:
      | client                                                |
      | the OAuth client's id with its last character changed |
      | the OAuth client's id in upper case                   |
      | the client id of the first MCPTT server               |

  @ROIDC-PKCE-VERIFY @tp:MCSEC-IDM-005
  Scenario Outline: An authorization code redeemed with a verifier that is not its request's obtains no token
    Given "alice" has signed in at the IdM and holds an authorization code
    When the test system redeems the authorization code with <verifier>
    Then the IdM refuses the token request with HTTP 400 and the error "invalid_grant" and issues no access token

    Examples:
      | verifier                                              |
      | its PKCE verifier with its last character changed     |
      | the PKCE code challenge in place of the verifier      |
      | the PKCE verifier of another sign-in of the same user |

  @ROIDC-PKCE-VERIFY @tp:MCSEC-IDM-006
  Scenario: An authorization code redeemed without a PKCE verifier obtains no token
    Given "alice" has signed in at the IdM and holds an authorization code
    When the test system redeems the authorization code with no PKCE verifier
    Then the IdM refuses the token request with HTTP 400 and the error "invalid_request" or "invalid_grant" and issues no access token

  @ROIDC-CODE-ONCE @tp:MCSEC-IDM-007
  Scenario: An authorization code already exchanged for a token obtains no second one
    Given "alice" has signed in at the IdM and holds an authorization code
    And the test system has redeemed the authorization code with its PKCE verifier and obtained a token
    When the test system redeems the authorization code with its PKCE verifier
    Then the IdM refuses the token request with HTTP 400 and the error "invalid_grant" and issues no access token
