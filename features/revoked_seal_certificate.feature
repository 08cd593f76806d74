Feature: A revoked certificate is never used
  The platform signs only with certificates it has checked first, revocation included. When the
  operator has revoked the certificate of the platform's seal (its key leaked, say), the platform
  does not seal with it: the recipients' signatures stay as they are, the documents stay unsealed,
  nobody is sent documents sealed with a revoked certificate, and the operator finds the seal among
  the failed jobs, with the reason, to run again once a new seal certificate is in place.

  Scenario: The platform does not seal with a revoked seal certificate
    Given a tenant "acme" with an API key
    And the platform signs with the certificates of its development certification authority
    And a draft envelope "Lease" with a real one-page document
    And "Ada" is a signer in routing order 1
    And the sender sends the envelope
    And the operator has revoked the platform's seal certificate
    When "Ada" signs
    Then the envelope is completed
    And the document carries the signature of "Ada" and no platform seal
    And the operator finds the seal among the failed jobs, refused because its certificate is revoked
    And "Ada" has received no email "Completed: Lease"
