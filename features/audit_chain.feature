Feature: The audit chain detects a modified event
  Every event of an envelope is chained to the one before by its hash, so a change
  to any stored event is detected.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Employment contract" with a two-page document
    And "Ada" is a signer in routing order 1
    And the sender sends the envelope
    And "Ada" signs

  Scenario: An untouched audit trail verifies
    Then the audit trail verifies
    And it records, in order, the creation, the sending, the signature and the completion

  Scenario: A modified event breaks the chain
    When someone changes the recorded signing time in the stored audit trail
    Then the audit trail no longer verifies

  Scenario: A removed event breaks the chain
    When someone deletes an event from the stored audit trail
    Then the audit trail no longer verifies
