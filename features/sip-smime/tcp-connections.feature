Feature: A TCP connection left with part of a SIP message is closed (RFC 3261 18.3, 26.1.5)
  SIP-1 and SIP-2 carry SIP over TCP as well as UDP. A peer that sends part of a message and goes
  quiet must not hold the SIP core's or the MCPTT server's resources for ever: each states how long
  it keeps an incomplete message (ixit.timers.tcp_partial_limit_s), and closes the connection after it.

  @RSIP-TCP-LIMITS @tp:MCSEC-SIP-TCP-001
  Scenario Outline: A TCP connection holding part of a request on <point> is closed within the peer's limit
    When the test system opens a TCP connection to the peer on <point> and sends part of a request on it
    Then the peer on <point> closes that connection within its partial-message limit
    And the peer on <point> still serves

    @judges:core
    Examples: the SIP core
      | point |
      | SIP-1 |

    @judges:server
    Examples: the MCPTT server
      | point |
      | SIP-2 |
