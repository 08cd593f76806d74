Feature: Signing policies
  A signing policy holds an organisation's rules for the envelopes it sends: how strong the
  signatures are, how recipients prove who they are, whether they sign one after another or all
  at once, when an envelope expires, how often recipients are reminded, how long the evidence is
  kept, whether a recipient may decline, the consent they give and the languages of the signing
  page. An organisation keeps several; one of them is its default, which every envelope that
  names no policy follows. Admins change policies; senders choose one for an envelope. Changing
  a policy makes a new version of it: an envelope already sent keeps the rules it was sent with,
  a draft gets the rules as they are when it is sent. Every change is in the audit log.

  Background:
    Given the organisation "acme" keeps a policy "Quick" whose envelopes expire after 7 days

  Scenario: A change makes a new version, and an envelope already sent keeps the version it was sent with
    Given a sender has sent "Lease" under the policy "Quick"
    When the admin changes the policy "Quick" so that its envelopes expire after 14 days
    Then the policy "Quick" is at its second version
    And "Lease" still expires 7 days after it was sent
    And an envelope sent under the policy "Quick" now expires 14 days after it is sent

  Scenario: A sender picks a policy for an envelope
    Given the policy "Quick" lets every recipient sign at once
    When a sender drafts "Offer" under the policy "Quick"
    Then every recipient of "Offer" may sign at once
    And once sent, "Offer" expires 7 days after it was sent

  Scenario: Envelopes that name no policy follow the organisation's default
    Given a sender has drafted "Invoice" without choosing a policy
    When the admin makes "Quick" the default policy
    And the sender sends "Invoice"
    Then "Invoice" expires 7 days after it was sent
    And the organisation's audit log shows that the admin changed the default policy

  Scenario: Only admins change policies
    When a sender tries to change the policy "Quick"
    Then the sender is refused
    And the policy "Quick" is still at its first version
