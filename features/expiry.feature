Feature: Expiry
  An envelope that is not completed by its expiry date expires: nobody can act on it any
  more, and the recipients still waiting for it are told.

  Background:
    Given a tenant "acme" whose envelopes expire after 10 days
    And a draft envelope "Quote" with a two-page document
    And "Ada" is a signer in routing order 1
    And the sender sends the envelope

  Scenario: An envelope nobody completed expires after its expiry date
    When 9 days pass
    Then the envelope is sent
    When 1 more day passes
    Then the envelope is expired
    And "Ada" has received an email "Expired: Quote"
    And the audit trail records that the envelope expired
    When "Ada" tries to sign
    Then "Ada" is refused because the envelope is expired

  Scenario: An envelope completed in time does not expire
    When 9 days pass
    And "Ada" signs
    And 5 more days pass
    Then the envelope is completed
    And "Ada" has received no email "Expired: Quote"
