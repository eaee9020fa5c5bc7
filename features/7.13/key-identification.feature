Feature: Each CEK has a unique Key ID, and a Key ID alone never gives a key (clause 7.13 and its editor's note)
  A unique CEK identifier (Key ID) is sent in the SIP message to identify the CEK at the
  receiving SIP endpoint.
  Editor's Note: Identification of the unique CEK is FFS. Use of a Key ID alone may not be
  sufficient. (Resolved by this suite: a CEK is identified by the KMS URI and the Key ID,
  and bound to its owner, its MCPTT server and a validity period.)

  Background:
    Given the IdM server and the KMS are reachable
    And "alice" has authenticated at the IdM with the authorization code flow and PKCE

  @R713-KEYID-UNIQUE @tp:MCSEC-713-KID-001 @judges:kms
  Scenario: Key IDs stay unique over many issues
    When "alice" asks the KMS for 150 CEKs shared with the MCPTT server "mcptt-as"
    Then every Key ID is different and carries the CEK purpose tag
    And every CEK is different

  @R713-EN-REJECT-UNKNOWN @tp:MCSEC-713-KID-002 @judges:kms
  Scenario: A Key ID the KMS never issued is refused
    Given the MCPTT server "mcptt-as" authenticates at the IdM with its client credentials
    When the MCPTT server "mcptt-as" fetches a CEK by a Key ID that was never issued
    Then the KMS refuses with KmsError 5 and HTTP status 404
    And no key is given

  @R713-KEYID-UNPREDICTABLE @tp:MCSEC-713-KID-003 @judges:kms @ics:kms_key_ids_unpredictable
  Scenario: Key IDs do not follow from one another
    When "alice" asks the KMS for 40 CEKs shared with the MCPTT server "mcptt-as"
    Then the 28 low bits of the Key IDs look drawn at random
