Feature: The MCPTT server retrieves a CSK only from a valid I_MESSAGE of the asserted user, and binds it to that user (clause 7.14)
  IBC is used to create the CEK, confidentiality protect the CEK, integrity protect the CEK, and
  forward the CEK to the MCPTT application server. The MCPTT application server receives the SIP
  message with the protected CEK and retrieves it from the message.

  The I_MESSAGEs of these scenarios are built by the test system with key material it obtains
  from the KMS in the users' names (or mints itself for another KMS) and sent through the SIP
  core like a client's.

  Background:
    Given the IdM server and the KMS are reachable
    And the test system holds the IBC key material of "alice" and "bob" from the KMS

  @tp:MCSEC-714-REF-001 @judges:server
  Scenario Outline: An I_MESSAGE <defect> is refused with 403
    When the test system, registered as "alice", uploads a CSK in an I_MESSAGE <defect>
    Then the MCPTT server answers 403
    And the MCPTT server holds no CSK from that I_MESSAGE

    @R714-CEK-INT
    Examples: integrity
      | defect                                           |
      | whose signature was altered in transit           |
      | signed with the key of "bob"                     |

    @R714-CEK-CONF @R714-CEK-INT
    Examples: altered in transit
      | defect                                           |
      | whose SAKKE payload was altered in transit       |

    @R714-CEK-CONF
    Examples: confidentiality
      | defect                                           |
      | encapsulated for another MCPTT server's identity |
      | made with the key material of another KMS        |
      | of an expired key period                         |

    @R714-AS-RETRIEVE
    Examples: retrieval
      | defect                                           |
      | timestamped ten minutes ago                      |
      | whose key ID carries the GMK purpose tag         |

    @R714-CEK-CONF
    Examples: the KMS it names
      | defect                                               |
      | naming another KMS than the one of its key material |
      | naming a KMS whose URI extends that of its own      |

  @R714-CEK-CONF @tp:MCSEC-714-REF-002 @judges:server
  Scenario: An I_MESSAGE whose SAKKE payload does not decapsulate is undecipherable
    When the test system, registered as "alice", uploads a CSK in an I_MESSAGE whose SAKKE payload was corrupted before it was signed
    Then the MCPTT server answers 493
    And the answer names no key
    And the MCPTT server holds no CSK from that I_MESSAGE

  @R714-AS-RETRIEVE @R714-CEK-INT @tp:MCSEC-714-REF-003 @judges:server
  Scenario: An I_MESSAGE cut short inside its signature is malformed
    When the test system, registered as "alice", uploads a CSK in an I_MESSAGE cut short inside its signature
    Then the MCPTT server answers 400
    And the MCPTT server holds no CSK from that I_MESSAGE

  @R714-AS-RETRIEVE @tp:MCSEC-714-REF-004 @judges:server
  Scenario: A replayed I_MESSAGE is refused
    Given the test system, registered as "alice", has uploaded a CSK that the MCPTT server accepted
    When the test system, registered as "alice", sends that I_MESSAGE again
    Then the MCPTT server answers 403

  @R714-AS-BIND @R714-CEK-INT @tp:MCSEC-714-REF-005 @judges:server
  Scenario: An I_MESSAGE of one user relayed with another user's asserted identity is refused
    When the test system, registered as "bob", sends the I_MESSAGE of "alice"
    Then the MCPTT server answers 403
    And the MCPTT server holds no CSK from that I_MESSAGE

  @R714-AS-BIND @R714-AS-RETRIEVE @R714-SMIME-USE @tp:MCSEC-714-REF-006 @judges:server
  Scenario: A CSK bound to one user is refused when another user sends under it
    Given the test system, registered as "alice", has uploaded a CSK that the MCPTT server accepted
    When the test system, registered as "alice", sends a MESSAGE protected under that CSK
    Then the MCPTT server answers 200
    When the test system, registered as "bob", sends a MESSAGE protected under that CSK
    Then the MCPTT server answers 493

  @R714-CEK-INT @tp:MCSEC-714-REF-007 @judges:server @ics:key_material_provisioning
  Scenario: An I_MESSAGE signed with a revoked key set is refused
    Given an MCPTT server that holds the key set of "alice" for the current key period as revoked
    When the test system, registered as "alice", uploads a CSK in an I_MESSAGE that is valid
    Then the MCPTT server answers 403
    And the MCPTT server holds no CSK from that I_MESSAGE

  @R714-AS-RETRIEVE @tp:MCSEC-714-REF-008 @judges:server
  Scenario Outline: An I_MESSAGE <edge> is refused with 403
    When the test system, registered as "alice", uploads a CSK in an I_MESSAGE <edge>
    Then the MCPTT server answers 403
    And the MCPTT server holds no CSK from that I_MESSAGE

    Examples:
      | edge                                             |
      | timestamped just beyond the window in the past   |
      | timestamped just beyond the window in the future |

  @R714-AS-RETRIEVE @tp:MCSEC-714-REF-009 @judges:server
  Scenario Outline: An I_MESSAGE <edge> is accepted
    When the test system, registered as "alice", uploads a CSK in an I_MESSAGE <edge>
    Then the MCPTT server answers 200

    Examples:
      | edge                                             |
      | timestamped just within the window in the past   |
      | timestamped just within the window in the future |
