Feature: Everyone hears when an envelope stops
  When a recipient declines, every other recipient who had been told of the envelope is emailed
  that it was declined, by whom and why. When the sender voids it, every recipient who had been
  told of it is emailed that it was withdrawn, and why. Recipients whose turn had not come were
  never told of the envelope, and are not told now. The sender hears it on their own system,
  through its webhook.

  Background:
    Given a tenant "acme" with an API key
    And the tenant has a webhook endpoint for "recipient.declined" and "envelope.voided"
    And a draft envelope "Loan offer" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 1
    And "Carl" receives a copy in routing order 1
    And "Cleo" is a signer in routing order 2
    And the sender sends the envelope

  Scenario: A decline is told to the others who knew of the envelope, and to the sender
    When "Ada" declines because "the interest rate is wrong"
    Then "Bob" is emailed "Declined: Loan offer", naming "Ada" and the reason "the interest rate is wrong"
    And "Carl" is emailed "Declined: Loan offer", naming "Ada" and the reason "the interest rate is wrong"
    And "Ada" has received no email "Declined: Loan offer"
    And "Cleo" has received no email
    And the sender's system hears that "Ada" declined because "the interest rate is wrong"

  Scenario: A void is told to everyone who knew of the envelope, and to the sender
    When the sender voids the envelope because "prices changed"
    Then "Ada" is emailed "Voided: Loan offer", with the reason "prices changed"
    And "Bob" is emailed "Voided: Loan offer", with the reason "prices changed"
    And "Carl" is emailed "Voided: Loan offer", with the reason "prices changed"
    And "Cleo" has received no email
    And the sender's system hears that the envelope was voided because "prices changed"
