@judges:idm
Feature: The IdM gives an MCPTT server principal a KMS access token only for its own client credentials
  The MCPTT server fetches CEKs from the KMS with its own KMS access token, obtained with the
  client credentials grant (RFC 6749 4.4): the IdM authenticates the server principal (HTTP Basic,
  RFC 6749 2.3.1) and issues a token whose subject is the server's URI, the identity a CEK is bound
  to. Users and server principals are different kinds of principal: a user's name and password are
  no client credentials (and a server's client_id and secret are no user's password, see
  sign-in.feature).

  A refused client authentication over HTTP Basic is HTTP 401 with a Basic challenge and the error
  invalid_client (RFC 6749 5.2), and no token.

  Background:
    Given the IdM is reachable and publishes its discovery document and JWKS

  @ROIDC-CC-GRANT @ROIDC-TOKEN-RESPONSE @tp:MCSEC-IDM-010
  Scenario: An MCPTT server authenticating with its client_id and secret obtains a KMS access token in its name
    When the MCPTT server "mcptt-as" asks the IdM for a token with its client_id and its own secret
    Then the IdM answers with a Bearer access token that no cache may store
    And the access token is a KMS access token for the MCPTT server "mcptt-as" signed by the IdM

  @ROIDC-CLIENT-AUTH @tp:MCSEC-IDM-011
  Scenario Outline: A client credentials request with a secret that is not the server's own obtains no token
    When the MCPTT server "mcptt-as" asks the IdM for a token with its client_id and <secret>
    Then the IdM refuses the token request with HTTP 401, a Basic challenge and the error "invalid_client" and issues no access token

    Examples:
      | secret                                          |
      | its own secret with its last character changed |
      | its own secret cut short by its last character |
      | the secret of another MCPTT server             |

  @ROIDC-CLIENT-AUTH @tp:MCSEC-IDM-012
  Scenario: A user's name and password obtain no token with the client credentials grant
    When "alice" asks the IdM for a token with the client credentials grant, her username and password as client_id and secret
    Then the IdM refuses the token request with HTTP 401, a Basic challenge and the error "invalid_client" and issues no access token

  @ROIDC-CLIENT-AUTH @tp:MCSEC-IDM-015
  Scenario: A client credentials request naming a server's client_id with no secret obtains no token
    When the MCPTT server "mcptt-as" asks the IdM for a token with its client_id in the form and no secret
    Then the IdM refuses the token request with HTTP 400 or 401 and the error "invalid_client" and issues no access token
