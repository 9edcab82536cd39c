"""Who a chat user is to the port, and how they become someone.

- users.py: the `Identity` of a Telegram user (staff roles, linked contact and customer, locale).
- known.py: identities kept between updates until the identity generation says they changed.
- staff.py: staff members and their department roles.
- linking.py: linking a Telegram user to a contact by a shared phone number.
- invites.py: one-time invite links for a contact.
- profiles.py: short descriptions of the person behind an identity.
"""
