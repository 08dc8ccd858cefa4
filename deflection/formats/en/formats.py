"""English dates as the app has always shown them: abbreviated months, 24-hour times (police
and clinics keep the 24-hour clock). Anything not set here is Django's English."""

DATE_FORMAT = "M j, Y"  # Dec 6, 2026
DATETIME_FORMAT = "M j, Y H:i"  # Dec 6, 2026 14:05
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "M j"  # Dec 6
YEAR_MONTH_FORMAT = "F Y"  # December 2026
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
