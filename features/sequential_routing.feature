Feature: Sequential routing
  Recipients with a higher routing order wait until everyone before them has acted.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Purchase order" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope

  Scenario: The second signer is notified only after the first signs
    Then "Ada" is notified
    And "Bob" is still waiting
    When "Ada" signs
    Then "Bob" is notified
    And the envelope is sent

  Scenario: The envelope completes and is sealed when the last signer signs
    When "Ada" signs
    And "Bob" signs
    Then the envelope is completed
    And the document carries the signatures of "Ada" and "Bob" and then the platform seal
