Feature: The IdM's test control surface mints only for the holder of its secret
  An IdM that claims the test control surface (ICS ics.idm_test_control) signs deliberately
  defective tokens for the negative scenarios of the KMS. Whoever reached it without its secret
  could take tokens, and so keys, in any user's name; and a request it cannot process must not
  break it.

  Background:
    Given the IdM server and the KMS are reachable

  @ROIDC-TEST-CONTROL @tp:MCSEC-IDM-TC-001 @judges:idm
  Scenario Outline: The test control surface mints nothing for a caller <credential>
    When the test system asks the IdM's test control surface for a token for "alice" <credential>
    Then the IdM answers 401 and gives no token

    Examples:
      | credential                              |
      | without the test control secret         |
      | with a wrong secret                     |
      | with the secret cut by one character    |
      | with the secret in upper case           |
      | with the secret as a Basic credential   |

  @ROIDC-TEST-CONTROL @tp:MCSEC-IDM-TC-002 @judges:idm
  Scenario: The test control surface mints for the holder of its secret
    When the test system asks the IdM's test control surface for a token for "alice" with its secret
    Then the IdM gives a token for "alice" signed by a key of its JWKS

  @RHTTP-ROBUST @tp:MCSEC-IDM-TC-003 @judges:idm
  Scenario: A request nested 20000 levels deep is refused with 400, and the IdM keeps minting
    When the test system sends the IdM's test control surface, with its secret, a JSON body nested 20000 levels deep
    Then the IdM answers 400 and gives no token
    And the IdM's test control surface still mints a token for "alice"
