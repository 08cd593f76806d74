Feature: Signing out of turn is refused
  A recipient signs when their routing order comes, and only once: a retry of a signature
  that went through is answered as the first one was, and signs nothing more.

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

  Scenario: Signing again after it worked is answered as the first time, and signs nothing more
    When "Ada" signs
    And "Ada" signs again, her answer having been lost
    Then "Ada" is told she signed, as the first time
    And "Ada" has signed the document once

  Scenario: Nobody signs twice with another signature
    When "Ada" signs
    And "Ada" tries to sign with another signature
    Then "Ada" is refused because she has already signed
