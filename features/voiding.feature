Feature: The sender voids an envelope
  A sender can withdraw an envelope that is out for signature.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Quote" with a two-page document
    And "Ada" is a signer in routing order 1
    And the sender sends the envelope

  Scenario: A voided envelope can no longer be signed
    When the sender voids the envelope because "prices changed"
    Then the envelope is voided
    When "Ada" tries to sign
    Then "Ada" is refused because the envelope is voided

  Scenario: A completed envelope cannot be voided
    When "Ada" signs
    And the sender tries to void the envelope because "too late"
    Then the sender is told "only a sent envelope can be voided"
    And the envelope is completed
