"""Identity and access control: users, roles, practice assignments, web sessions,
API tokens, TOTP, password hashing and lockout. ``policy`` decides who may do what."""
