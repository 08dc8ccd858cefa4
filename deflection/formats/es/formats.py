"""Spanish dates and numbers as they are written in Arizona (and Mexico): the day before the
month, lower-case month names, 24-hour times, and the decimal point and thousands comma of
US and Mexican money ($1,500.00), not Spain's ($1.500,00). Anything not set here is Django's
Spanish."""

DATE_FORMAT = "j b Y"  # 6 dic 2026
DATETIME_FORMAT = "j b Y, H:i"  # 6 dic 2026, 14:05
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j b"  # 6 dic
YEAR_MONTH_FORMAT = r"F \d\e Y"  # diciembre de 2026
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
