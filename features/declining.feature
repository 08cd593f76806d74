Feature: A signer declines
  Any recipient whose turn it is may decline, with a reason. That ends the envelope.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Loan offer" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 1
    And the sender sends the envelope

  Scenario: Declining ends the envelope for everyone
    When "Ada" declines because "the interest rate is wrong"
    Then the envelope is declined
    And the audit trail records that "Ada" declined because "the interest rate is wrong"
    When "Bob" tries to sign
    Then "Bob" is refused because the envelope is declined

  Scenario: Declining again after it worked is answered as the first time
    When "Ada" declines because "the interest rate is wrong"
    And "Ada" declines again because "the interest rate is wrong", her answer having been lost
    And "Ada" tries to sign
    Then "Ada" is told she declined, as the first time
    And "Ada" is refused because the envelope is declined

  Scenario: Who signed cannot decline afterwards
    When "Ada" signs
    And "Ada" tries to decline because "I changed my mind"
    Then "Ada" is refused because she has already signed
    And the envelope is sent

  Scenario: Declining needs a reason
    When "Ada" tries to decline without a reason
    Then the recipient is told "needs a reason"
    And the envelope is sent
