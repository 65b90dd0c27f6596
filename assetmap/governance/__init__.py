"""Governance of people's data in one place: privacy rules, accounts and roles, the audit log,
data subjects' rights and the referral record."""
