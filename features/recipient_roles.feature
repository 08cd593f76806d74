Feature: Approvers and recipients who receive a copy
  Besides signers, an envelope can have approvers and recipients who only receive a copy.
  An approver acts in their turn, as a signer does, and routing then moves on to the next
  recipients; what they did is recorded as an approval, not as a signature. A recipient who
  receives a copy has nothing to do: routing never waits for them, they are not asked to act,
  and they are sent the completed documents once everyone else has acted.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Supplier contract" with a two-page document

  Scenario: An approver approves, and the next recipient's turn comes
    Given "Ada" is an approver in routing order 1
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope
    Then "Ada" is notified
    And "Bob" is still waiting
    When "Ada" approves
    Then "Bob" is notified
    And the envelope is sent

  Scenario: An approval is recorded as an approval, not as a signature
    Given "Ada" is an approver in routing order 1
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope
    When "Ada" approves
    And "Bob" signs
    Then the envelope is completed
    And "Ada" is recorded as having approved, and "Bob" as having signed
    And the audit trail records an approval by "Ada" and a signature by "Bob", and no other act

  Scenario: A recipient who receives a copy is sent the completed documents, and nothing before
    Given "Ada" is a signer in routing order 1
    And "Carl" receives a copy
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope
    Then "Carl" has received no email
    When "Ada" signs
    Then "Carl" has received no email
    When "Bob" signs
    Then "Carl" has received an email "Completed: Supplier contract" with the sealed document attached
    And "Carl" has received no email "Please sign: Supplier contract"
