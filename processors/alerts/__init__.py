"""Alert e-mails: composing them (``messages``) and delivering them (``mailer``)."""
