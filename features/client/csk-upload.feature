@wire
Feature: The MCPTT client creates a new random CSK for each upload and sends it in a well formed, signed I_MESSAGE (clause 7.14)
  If protection of the SIP-1 and SIP-2 interfaces is required by the MCPTT service provider, then IBC
  is used to create the CEK, confidentiality protect the CEK, integrity protect the CEK, and forward the
  CEK to the MCPTT application server.

  Each I_MESSAGE is judged as it crossed SIP-1: decoded by the suite's MIKEY codec and checked field by
  field against TS 36.579-1 table 5.5.9.1-1, its signature verified with the user's UID and the KPAK,
  its SAKKE payload decapsulated with the MCPTT server's RSK, which the test system obtains from the
  KMS with the MCPTT server's credentials.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in and provisioned her IBC key material
    And the MCPTT client of "alice" has registered through the SIP core before holding any key

  @R714-CEK-CREATE @tp:MCSEC-CLI-CSK-001 @judges:client
  Scenario: Every upload carries a new CSK
    When the MCPTT client of "alice" uploads a CSK 8 times
    Then the MCPTT client of "alice" sent one I_MESSAGE on SIP-1 for each upload
    And every I_MESSAGE decapsulates with the MCPTT server's RSK to a CSK no other upload carried

  @R714-CEK-CREATE @R714-CSK-ID-RANDOM @tp:MCSEC-CLI-CSK-002 @judges:client
  Scenario: Every CSK-ID carries the CSK purpose tag over 28 random bits
    When the MCPTT client of "alice" uploads a CSK 8 times
    Then the MCPTT client of "alice" sent one I_MESSAGE on SIP-1 for each upload
    And the CSK-IDs of the I_MESSAGEs carry the CSK purpose tag and 28 low bits that look drawn at random

  @R714-IMSG-FORMAT @R714-CEK-FWD @tp:MCSEC-CLI-CSK-003 @judges:client
  Scenario: The I_MESSAGE is well formed, field by field, as TS 36.579-1 gives it
    When the MCPTT client of "alice" uploads a CSK
    Then the MCPTT client of "alice" sent one I_MESSAGE on SIP-1 for each upload
    And the I_MESSAGE has every field TS 36.579-1 table 5.5.9.1-1 gives, naming "alice" and the MCPTT server

  @R714-CEK-INT @tp:MCSEC-CLI-CSK-004 @judges:client
  Scenario: The I_MESSAGE is signed with her own SSK
    When the MCPTT client of "alice" uploads a CSK
    Then the MCPTT client of "alice" sent one I_MESSAGE on SIP-1 for each upload
    And the I_MESSAGE's ECCSI signature verifies with the UID of "alice" and the KPAK

  @R714-CEK-CONF @R714-SMIME-USE @tp:MCSEC-CLI-CSK-005 @judges:client
  Scenario: The CSK is encrypted for the MCPTT server's identity in the current key period, and is the key the client then uses
    When the MCPTT client of "alice" uploads a CSK
    Then the MCPTT client of "alice" sent one I_MESSAGE on SIP-1 for each upload
    And the I_MESSAGE decapsulates with the MCPTT server's RSK of the current key period
    When the MCPTT client of "alice" sends a MESSAGE naming "bob"
    Then that MESSAGE the MCPTT client of "alice" sent on SIP-1 is protected under the uploaded CSK-ID and opens with the decapsulated CSK

  @R714-IMSG-TIME @tp:MCSEC-CLI-CSK-006 @judges:client
  Scenario: The I_MESSAGE's timestamp is the current time
    When the MCPTT client of "alice" uploads a CSK
    Then the MCPTT client of "alice" sent one I_MESSAGE on SIP-1 for each upload
    And the I_MESSAGE's timestamp is the time it crossed SIP-1, within the clock skew of the profile
