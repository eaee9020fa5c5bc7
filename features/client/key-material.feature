@wire
Feature: The MCPTT client refuses defective IBC key material from its KMS and never signs with it (clause 7.14)
  Once the MCPTT user is authorized for key management services, the KMS distributes the user's IBC
  key material to the MCPTT client.

  The defective key set comes from the KMS the client is configured with: the test system arms it for
  the user's next key provisioning at the KMS's test control surface (ICS item kms_test_control). A
  refusal is what the upper tester reports; use is what crosses SIP-1: an I_MESSAGE whose signature
  carries the defective key set's PVT.

  Background:
    Given the SIP traffic on SIP-1 and SIP-2 is being captured
    And the IdM server and the KMS are reachable
    And the MCPTT client of "alice" has logged in
    And the MCPTT client of "alice" has registered through the SIP core before holding any key

  @R714-KM-PROV @R714-KM-CHECK @tp:MCSEC-CLI-KM-001 @judges:client
  Scenario Outline: The MCPTT client refuses <defect>
    Given the KMS will provision "alice" next with <defect>
    When the MCPTT client of "alice" provisions her IBC key material
    And the MCPTT client of "alice" is asked to upload a CSK
    Then no I_MESSAGE the MCPTT client of "alice" sent on SIP-1 is signed with the defective key set
    And the MCPTT client reports the key material refused

    Examples:
      | defect                                         |
      | an RSK and SSK issued for another identifier   |
      | the key set of an expired key period           |
      | a key set marked revoked                       |
      | an SSK with the PVT of another issue           |
      | a key set of another KMS                       |
      | a UserID that is not the UID of her MCPTT ID   |
