Feature: Parallel routing
  Recipients who share a routing order act at the same time, in any order.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Board resolution" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 1
    And "Cleo" is a signer in routing order 2
    And the sender sends the envelope

  Scenario: Everyone in the first routing order is notified at once
    Then "Ada" is notified
    And "Bob" is notified
    And "Cleo" is still waiting

  Scenario: The next order starts when the whole parallel group has signed
    When "Bob" signs
    Then "Cleo" is still waiting
    When "Ada" signs
    Then "Cleo" is notified

  Scenario: Parallel signers signing at the same moment all count once
    Given a draft envelope "Shareholders" with a two-page document
    And 8 signers share routing order 1
    And the sender sends the envelope
    When all 8 signers sign at the same moment
    Then the envelope is completed
    And every signer's signature is in the document exactly once
    And the envelope was completed exactly once
