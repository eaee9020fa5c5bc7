Feature: The KMS distributes the CEK to the MCPTT client and the MCPTT server (clause 7.13)
  Once the MCPTT user is authorized for key management services and if protection of the
  SIP-1 and SIP-2 interfaces is required by the MCPTT service provider, the KMS then
  distributes the CEK to both the MCPTT client and MCPTT application server.

  Background:
    Given the IdM server and the KMS are reachable

  @R713-IDM-TOKEN @R713-KM-DIST-CLIENT @R713-KM-DIST-SERVER @R713-KMS-ADMIN @R713-EN-BIND @tp:MCSEC-713-CEK-001 @judges:idm @judges:kms
  Scenario: An authenticated user obtains a CEK that the MCPTT server can fetch by its Key ID
    Given "alice" has authenticated at the IdM with the authorization code flow and PKCE
    And the KMS access token of "alice" is signed by the IdM and names her MCPTT ID
    When "alice" asks the KMS for a CEK shared with the MCPTT server "mcptt-as"
    Then the KMS gives "alice" a 128-bit CEK with a Key ID carrying the CEK purpose tag
    And the CEK is bound to the KMS, to the MCPTT ID of "alice", to "mcptt-as" and to a current validity period
    When the MCPTT server "mcptt-as" authenticates at the IdM with its client credentials
    And the MCPTT server "mcptt-as" fetches the CEK by its Key ID
    Then the MCPTT server "mcptt-as" holds the same CEK, Key ID and binding as "alice"

  @R713-EN-SERVER @tp:MCSEC-713-CEK-002 @judges:kms
  Scenario: An MCPTT server cannot fetch a CEK bound to another MCPTT server
    Given "alice" holds a CEK shared with the MCPTT server "mcptt-as"
    When the MCPTT server "mcptt-as-2" authenticates at the IdM with its client credentials
    And the MCPTT server "mcptt-as-2" fetches the CEK by its Key ID
    Then the KMS refuses with KmsError 5 and HTTP status 404
    And no key is given

  @R713-KM-SUBJECT @tp:MCSEC-713-CEK-003 @judges:kms
  Scenario: A user's token cannot fetch a CEK in an MCPTT server's name
    Given "alice" holds a CEK shared with the MCPTT server "mcptt-as"
    When "alice" fetches the CEK by its Key ID in the name of the MCPTT server "mcptt-as"
    Then the KMS refuses with KmsError 6 and HTTP status 403
    And no key is given

  @R713-EN-SERVER @tp:MCSEC-713-CEK-004 @judges:kms
  Scenario: A CEK its bound MCPTT server has fetched is still refused to another MCPTT server
    Given "alice" holds a CEK shared with the MCPTT server "mcptt-as"
    When the MCPTT server "mcptt-as" authenticates at the IdM with its client credentials
    And the MCPTT server "mcptt-as" fetches the CEK by its Key ID
    Then the MCPTT server "mcptt-as" holds the same CEK, Key ID and binding as "alice"
    When the MCPTT server "mcptt-as-2" authenticates at the IdM with its client credentials
    And the MCPTT server "mcptt-as-2" fetches the CEK by its Key ID
    Then the KMS refuses with KmsError 5 and HTTP status 404
    And no key is given

  @R713-KM-SUBJECT @tp:MCSEC-713-CEK-005 @judges:kms
  Scenario: An MCPTT server's token obtains no CEK in a user's name
    When the MCPTT server "mcptt-as" asks the KMS for a CEK in the name of "alice" shared with "mcptt-as"
    Then the KMS refuses with KmsError 7 and HTTP status 403
    And no key is given
