Feature: Signing in
  People sign in through their organisation's identity provider (OpenID Connect or SAML), or,
  where an organisation has none, with a password and a code from an authenticator app.
  The identity provider says who someone is and, through the operator's mapping of its groups,
  their role; Undersign lets in only those the organisation invited, unless it lets people in
  at their first sign-in. A session ends when its owner signs out, after half an hour without
  use, and at the latest twelve hours after sign-in. Every sign-in, and every refusal, is
  written in the organisation's audit log.

  Background:
    Given the organisation "acme" signs in with its identity provider "corp"

  Scenario: An invited person signs in through the identity provider
    Given "ana@acme.test" was invited as a sender
    When the identity provider vouches for "ana@acme.test"
    Then "ana@acme.test" has a session as a sender
    And the organisation's audit log shows the sign-in

  Scenario: Someone not invited is turned away, until the organisation lets people in at first sign-in
    When the identity provider vouches for "zoe@acme.test"
    Then the sign-in is refused because "zoe@acme.test" was not invited
    And the organisation's audit log shows the refusal
    When the organisation lets people in at their first sign-in
    And the identity provider vouches for "zoe@acme.test"
    Then "zoe@acme.test" has a session as a viewer

  Scenario: The identity provider's groups decide the role
    Given "ana@acme.test" was invited as a viewer
    When the identity provider vouches for "ana@acme.test" as a member of a group mapped to admin
    Then "ana@acme.test" has a session as an admin

  Scenario: A session ends after half an hour without use, and at the latest after twelve hours
    Given "ana@acme.test" was invited as a sender
    And the identity provider has vouched for "ana@acme.test"
    When 29 minutes go by without use
    Then the session still works
    When 31 minutes go by without use
    Then the session no longer works

  Scenario: A password, then a code from an authenticator app that works once
    Given "ana@acme.test" was invited as a sender with a password
    And the organisation requires a second factor
    When Ana signs in with her password
    Then she is asked to set up an authenticator app
    When she sets it up and types the code it shows
    Then she has a session and ten recovery codes
    When she signs in again with her password and the same code
    Then the code is refused because it was used already

  Scenario: Five wrong passwords in a row lock the account for a while
    Given "ana@acme.test" was invited as a sender with a password
    When Ana types a wrong password 5 times
    Then even her right password is refused for 15 minutes
    And the organisation's audit log shows the account locked
