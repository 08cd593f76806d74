Feature: The signer's page
  A recipient opens the link from their invitation and finds everything on one page: what they are
  asked to sign, the documents, their own fields in reading order, and the words they agree to.
  The page is complete as the server sends it: it reads and signs in a browser that runs no script
  (the script only adds the drawn pages, guidance from field to field and a drawn signature).
  It speaks the languages the sender's policy offers, Arabic written right to left, and a link
  that does not work says why in words.

  Scenario: The page reads without any script
    Given an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her
    When Ada opens her signing page in a browser that runs no script
    Then she reads the subject "Lease agreement" and the sender's message
    And she finds the document "lease.pdf" to read
    And her fields are listed in reading order, each with a label of its own
    And nothing on the page says it is still loading

  Scenario: Signing on the page with a typed name
    Given an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her
    When Ada fills in her fields, types her name, agrees and signs on the page
    Then the page tells her that she signed
    And her envelope is now completed

  Scenario: A field left empty is pointed out next to it
    Given an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her
    When Ada signs on the page without filling in the text field
    Then the page asks her to fill in that field, next to the field
    And nothing is signed yet

  Scenario: Declining on the page
    Given an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her
    When Ada declines on the page because "the rent is wrong"
    Then the page says the envelope is closed
    And her envelope is now declined

  Scenario: The page in Arabic, right to left
    Given an envelope "Lease agreement" sent to Ada under a policy offering English and Arabic
    When Ada opens her signing page in a browser that prefers Arabic
    Then the page is in Arabic, written right to left
    When Ada asks for the page in English
    Then the page is in English, written left to right

  Scenario: A link that was never sent
    When someone opens a signing link that was never sent
    Then the page says the link does not exist

  Scenario: A link that was replaced by a newer one
    Given an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her
    And the sender sent Ada a newer link
    When Ada opens the older link
    Then the page says a newer link was sent to her

  Scenario: A form sent from another website is refused
    Given an envelope "Lease agreement" sent to Ada with a text field, a tick box and a signature for her
    When another website makes Ada's browser send the signing form
    Then the page refuses the form
    And nothing is signed yet
