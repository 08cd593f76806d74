Feature: Webhooks
  A tenant's own system hears about what happens to its envelopes: every event it
  subscribed to is delivered to its endpoint, signed with the endpoint's secret so the
  system can check where it came from, and delivered again until the endpoint accepts it.

  Background:
    Given a tenant "acme" with an API key
    And the tenant has a webhook endpoint for "envelope.completed" and "envelope.sealed"
    And a draft envelope "Lease agreement" with a two-page document
    And "Ada" is a signer in routing order 1
    And the sender sends the envelope

  Scenario: The endpoint is told when the envelope is completed and when it is sealed
    When "Ada" signs
    Then the endpoint has received "envelope.completed" and "envelope.sealed" for the envelope
    And every delivery is signed with the endpoint's secret

  Scenario: Events the endpoint did not ask for are not delivered
    When the sender voids the envelope because "wrong document"
    Then the endpoint has received nothing

  Scenario: A delivery the endpoint refuses is tried again until it is accepted
    Given the endpoint refuses its first 2 deliveries
    When "Ada" signs
    Then the endpoint has received "envelope.completed" and "envelope.sealed" for the envelope
    And the delivery log of "envelope.completed" shows 2 refused attempts and then 1 accepted

  Scenario: A delivery refused every time is given up, kept for the operator, and can be redelivered
    Given the endpoint refuses every delivery
    When "Ada" signs
    Then the delivery of "envelope.completed" has failed after 10 attempts
    And the operator sees it among the failed jobs
    When the endpoint accepts deliveries again
    And the tenant redelivers "envelope.completed"
    Then the endpoint has received "envelope.completed" for the envelope

  @http
  Scenario: A webhook registered over the API reaches a real receiver, signed
    Given an envelope sent over the API to "Ada" and then "Bob", with a webhook for "envelope.sealed"
    When "Ada" signs through her link
    And "Bob" signs through his link
    Then the receiver gets one "envelope.sealed" delivery whose signature checks out
