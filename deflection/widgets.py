"""The browser's own date, month and date-and-time pickers, for every form.

A picker takes its value in one format only, ISO (2026-12-06), and shows it to the user in
their own language. Django's date widgets write the value in the page's language instead
(06/12/2026 in Spanish), which the picker refuses: it shows an empty field, and a date the
form had filled in (today, the default expiry) is lost. So the format is fixed here, once.
"""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class MonthInput(forms.DateInput):
    """A month, as a date on its first day."""

    input_type = "month"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m")


class DateTimeLocalInput(forms.DateTimeInput):
    """A date and a time, to the minute."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
