Feature: People, teams and who sees which envelope
  The people of an organisation have a role each, like API keys: an owner and an admin may do
  everything, a sender sends envelopes, a viewer reads them, an auditor reads only the evidence.
  A sender sees the envelopes they sent and those shared with a team they belong to, and no
  other: to them, anyone else's envelope does not exist. Admins invite people, change their
  role and disable them; nobody gives anyone a role above their own. Every such act is written
  in the organisation's audit log.

  Background:
    Given the organisation "acme" with a team "Legal"
    And Ana and Ben are senders in "Legal", Cat is a sender in no team, Vic is a viewer and Ada is an admin

  Scenario: A sender sees their own envelopes and their team's, nobody else's
    Given Ana has drafted "NDA" for herself
    And Ana has drafted "Lease" shared with "Legal"
    And Cat has drafted "Quote" for herself
    Then Ana sees "NDA" and "Lease"
    And Ben sees "Lease"
    And Cat sees "Quote"
    And Vic sees "NDA", "Lease" and "Quote"

  Scenario: Another sender's envelope is not found, not forbidden
    Given Cat has drafted "Quote" for herself
    When Ana opens "Quote"
    Then Ana is told there is no such envelope

  Scenario: An admin cannot make anyone an owner
    When Ada tries to make Ben an owner
    Then Ada is refused
    And Ben is still a sender

  Scenario: A disabled person is signed out everywhere at once
    Given Ben is signed in
    When Ada disables Ben
    Then Ben's session no longer works
    And the organisation's audit log shows that Ada disabled Ben
