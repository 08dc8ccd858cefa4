"""FHIR R4 for partners' record systems, after the Gravity Project's SDOH Clinical Care guide:
each referral is a ServiceRequest (what the officer asked for) and a Task (the partner's work on
it, whose status is the referral's lifecycle); the client is a Patient, their 42 CFR Part 2
consents are Consents, agencies and partners are Organizations. A door onto the same selectors
and services as the casework page and the REST API (api.views.partner): the same scope, the
same steps, the same access record.
"""
