Feature: Invitations and reminders
  A recipient is emailed a signing link when their turn comes. Someone who has not acted is
  reminded on the cadence the tenant's policy sets, until they act or the envelope stops
  waiting for them.

  Background:
    Given a tenant "acme" whose policy sends reminders every 3 days
    And a draft envelope "Lease agreement" with a two-page document
    And "Ada" is a signer in routing order 1
    And "Bob" is a signer in routing order 2
    And the sender sends the envelope

  Scenario: Only the first recipient is invited at first
    Then "Ada" has received an email "Please sign: Lease agreement" with a signing link
    And "Bob" has received no email

  Scenario: A recipient who does not act is reminded once the cadence has passed
    When 2 days pass
    Then "Ada" has received no reminder
    When 1 more day passes
    Then "Ada" has received an email "Reminder: please sign: Lease agreement" with a signing link
    When 3 more days pass
    Then "Ada" has received 2 reminders

  Scenario: The link in a reminder works, and the next recipient is invited
    When 3 days pass
    And "Ada" signs through the link in her latest email
    Then "Bob" has received an email "Please sign: Lease agreement" with a signing link

  Scenario: Once a recipient has signed, reminders go to the next one
    When "Ada" signs
    And 2 days pass
    Then "Bob" has received no reminder
    When 1 more day passes
    Then "Ada" has received no reminder
    And "Bob" has received an email "Reminder: please sign: Lease agreement" with a signing link

  Scenario: Everyone gets the completed documents
    When "Ada" signs
    And "Bob" signs
    Then "Ada" has received an email "Completed: Lease agreement" with the sealed document attached
    And "Bob" has received an email "Completed: Lease agreement" with the sealed document attached
