"""The email channel's adapters (DESIGN §11): parsing raw mail, reading IMAP mailboxes.

What a message *is* is decided in ``console.domain.mail``; intake is a use case in
``console.services.mail_intake``. This package turns bytes and servers into
``MailMessage`` values and back; it imports neither Qt nor the database.
"""
