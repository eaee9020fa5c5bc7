Feature: The MCPTT server retrieves the CSK of an I_MESSAGE made by an independent implementation (clause 7.14)
  The MCPTT application server receives the SIP message with the protected CEK and retrieves it
  from the message. The CEK is then used for S/MIME protection of the SIP payload in subsequent
  SIP messages.

  The CSK I_MESSAGE, the KMS certificate and the key set of the responder come from an
  independent MIKEY-SAKKE implementation (fixtures/vectors/mikey-sakke-vectors.json). The message
  is old, so the MCPTT server of this scenario accepts timestamps up to ten years old.

  Background:
    Given the IdM server and the KMS are reachable

  @R714-AS-RETRIEVE @R714-IBC-ESTABLISH @R714-SMIME-USE @tp:MCSEC-714-VEC-001 @judges:server @ics:key_material_provisioning
  Scenario: The MCPTT server recovers the vectors' CSK and CSK-ID and answers under them
    Given an MCPTT server provisioned with the independent vectors' KMS certificate and the key set of "gms@streamwide.com", accepting I_MESSAGEs up to ten years old
    When the test system, playing the SIP core, relays the vectors' CSK I_MESSAGE from "sip:alice@streamwide.com"
    Then the MCPTT server answers 200
    When the test system, playing the SIP core, relays a MESSAGE from "sip:alice@streamwide.com" protected under the vectors' CSK and CSK-ID
    Then the MCPTT server answers 200 with the mcptt-info naming "sip:alice@streamwide.com", protected under the vectors' CSK-ID and opened with the vectors' CSK
