Feature: An HTTPS request whose body cannot be delimited is refused and its connection closed (RFC 9112)
  The KMS and the IdM are reached over HTTPS. A request whose body length is ambiguous (two
  Content-Length values, a transfer coding the server does not implement) could let the rest of
  the stream be read as another request: the server refuses it and closes the connection.

  @RHTTP-FRAMING @tp:MCSEC-HTTP-001
  Scenario Outline: A <role> request with <framing> is refused with <status> and the connection closed
    When the test system sends the <role> a request with <framing>, then a second request on the same connection
    Then the <role> answers <status> and closes the connection
    And the second request gets no answer

    @judges:kms
    Examples: the KMS
      | role | framing                                       | status |
      | KMS  | two different Content-Length headers          | 400    |
      | KMS  | a Content-Length listing two different values | 400    |
      | KMS  | a Content-Length with a plus sign             | 400    |
      | KMS  | Transfer-Encoding chunked                     | 501    |

    @judges:idm
    Examples: the IdM
      | role | framing                                       | status |
      | IdM  | two different Content-Length headers          | 400    |
      | IdM  | Transfer-Encoding chunked                     | 501    |
