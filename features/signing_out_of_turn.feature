Feature: Signing out of turn is refused
  A recipient signs when their routing order comes, and only once.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Partnership" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope

  Scenario: A later signer cannot sign before an earlier one
    When "Bob" tries to sign
    Then "Bob" is refused because it is not his turn
    And the document has no signature yet

  Scenario: Nobody signs twice
    When "Ada" signs
    And "Ada" tries to sign
    Then "Ada" is refused because she has already signed
