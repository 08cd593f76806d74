@http
Feature: Refused input
  Undersign takes input from anyone: the systems of senders, the browsers of signers, and
  PDFs made by whoever made them. What it cannot safely keep or hand on to signers it
  refuses, says why in words, and keeps nothing of. Who may do what is decided before
  anything else, also for a request sent again.

  Background:
    Given a tenant with an admin key, a sender key and a viewer key
    And a draft envelope the sender made over the API

  Scenario: A PDF that runs code when it is opened is refused
    When the sender uploads a PDF that runs JavaScript when it is opened
    Then the upload is refused because the PDF "runs when the document is opened"
    And nothing of the file is kept

  Scenario: A file that is a ZIP archive as well as a PDF is refused
    When the sender uploads a PDF with a ZIP archive after its end
    Then the upload is refused because the file "is also something else than a PDF"
    And nothing of the file is kept

  Scenario: A PDF that inflates to a gigabyte is refused before it costs one
    When the sender uploads a PDF whose page inflates to a gigabyte
    Then the upload is refused because the PDF "inflates to more than allowed"
    And nothing of the file is kept

  Scenario: A PDF with more pages than allowed is refused
    When the sender uploads a PDF of 50000 pages
    Then the upload is refused because the PDF "at most 2000 are accepted"
    And nothing of the file is kept

  Scenario: A file name cannot break the download
    When the sender uploads a PDF whose file name holds a line break
    Then the document is kept, under its name with the line break made harmless
    And it downloads under that name

  Scenario: A recipient's address is one plain mailbox
    When the sender adds "Eve" with the address "ada@example.com,eve@example.com"
    Then the sender is refused with "is not an email address"
    And the envelope has no recipients

  Scenario: A name cannot carry control characters
    When the sender adds a recipient whose name holds a terminal control code
    Then the sender is refused with "one line without control characters"
    And the envelope has no recipients

  Scenario: Consent is a yes, not a word
    Given the envelope is sent to "Ada"
    When "Ada" signs with her consent written as the word "true"
    Then the signature is refused as malformed
    And "Ada" has not signed

  Scenario: A viewer cannot pick up a signing link by sending an admin's request again
    Given the envelope is sent to "Ada"
    And the admin has asked for a signing link for "Ada", marked as safe to send again
    When the viewer sends the admin's request again, with the same mark
    Then the viewer is refused as not allowed
    And the viewer was not handed the admin's link

  Scenario: A voided envelope's links stop working at once
    Given the envelope is sent to "Ada"
    And "Ada" has a signing link
    When the sender voids the envelope
    Then "Ada"'s link no longer opens the envelope, because it is voided

  Scenario: A new link replaces the one before
    Given the envelope is sent to "Ada"
    And "Ada" has a signing link
    When the sender asks for a new signing link for "Ada"
    Then "Ada"'s old link no longer opens the envelope, because a newer link was issued
    And "Ada"'s new link opens it

  Scenario: Guessing API keys is slowed down
    When someone tries 25 wrong API keys
    Then they are told to wait before trying again
    And even the admin's own key is turned away from their address until then

  Scenario: A webhook to an address inside the platform's network is refused without saying why it is special
    When the admin registers a webhook to the cloud provider's internal metadata address
    Then the admin is refused with "is not allowed as a webhook target"
