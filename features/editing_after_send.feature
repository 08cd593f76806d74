Feature: Editing after send is refused
  What the recipients were sent is what they sign: a sent envelope cannot be changed.

  Background:
    Given a tenant "acme" with an API key
    And a draft envelope "Contract" with a two-page document
    And "Ada" is a signer with a signature field on page 1
    And the sender sends the envelope

  Scenario: No recipient can be added after send
    When the sender tries to add "Mallory" as a signer
    Then the sender is told "only a draft can be edited"

  Scenario: No document can be added after send
    When the sender tries to add another document
    Then the sender is told "only a draft can be edited"

  Scenario: No field can be placed after send
    When the sender tries to place a text field for "Ada" on page 1
    Then the sender is told "only a draft can be edited"
