@http
Feature: Long-term validation
  A sealed document proves itself long after every certificate in it has ended, from what
  the file itself holds, as pyHanko's standard long-term (AdES) validation checks it with
  the clock moved ahead. Its last document time stamp is what keeps it alive, until the
  certificate of the time-stamping authority behind it ends (ten years). Before then, the
  operator's archive renewal (`undersign archive renew`, run daily) adds a new time stamp
  from a newer certificate: the authority signs with a new one every year.

  Background:
    Given an envelope sent over the API to "Ada" and then "Bob"
    And "Ada" and then "Bob" have signed it, so the platform sealed the final PDF

  Scenario: Without a renewal, the document holds until its time stamp ends
    Then every signature passes long-term validation eight days from now
    And every signature passes long-term validation six years from now
    But no signature passes long-term validation eleven years from now

  Scenario: A document renewed five years on still validates eleven years from now
    When the operator renews the archive five years from now
    Then the final PDF has one more document time stamp
    And its certificate ends about five years after the one of the time stamp it renews
    And every signature passes long-term validation six years from now
    And every signature passes long-term validation eleven years from now

  Scenario: A renewal that would not outlive the current time stamp is refused
    When the operator renews the archive today
    Then the renewal is refused because the new time stamp would end no later than the current one
    And the final PDF is unchanged
