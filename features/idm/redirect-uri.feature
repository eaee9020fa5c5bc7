@judges:idm
Feature: The IdM sends codes only to the exact redirect URI registered for the client
  The redirect_uri of an authorization request must match a redirect URI registered for the
  client character for character (OpenID Connect Core 1.0 3.1.2.1, RFC 3986 6.2.1 simple string
  comparison), and the token request must name the same redirect URI as the authorization request
  (RFC 6749 4.1.3). A near miss (a trailing slash, another case in the path, an added query) is
  what a prefix or case-insensitive comparison lets through, and it sends the code to a page the
  client did not register.

  Decision: an authorization request with a redirect URI that is not registered is answered
  without sending the user agent anywhere but to the IdM's own pages (RFC 6749 4.1.2.1: it MUST
  NOT redirect to the invalid URI); both the login page and the posted sign-in are judged. At the
  token endpoint the refusal is HTTP 400 with invalid_grant (RFC 6749 5.2).

  Background:
    Given the IdM is reachable and publishes its discovery document and JWKS

  @ROIDC-REDIRECT-AUTHZ @tp:MCSEC-IDM-008
  Scenario Outline: An authorization request with a near miss of the registered redirect URI gets no redirect and no code
    When "alice" signs in at the IdM with the right password, asking for the registered redirect URI <near miss>
    Then the IdM issues no authorization code and does not redirect away from itself

    Examples:
      | near miss                         |
      | with a trailing slash added       |
      | with the case of its path changed |
      | with a query added                |

  @ROIDC-REDIRECT-TOKEN @tp:MCSEC-IDM-009
  Scenario Outline: A token request naming a near miss of the authorization request's redirect URI obtains no token
    Given "alice" has signed in at the IdM and holds an authorization code
    When the test system redeems the authorization code with its PKCE verifier, naming the registered redirect URI <near miss>
    Then the IdM refuses the token request with HTTP 400 and the error "invalid_grant" and issues no access token

    Examples:
      | near miss                         |
      | with a trailing slash added       |
      | with the case of its path changed |
      | with a query added                |
