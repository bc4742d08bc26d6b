"""Documents of organizational life: the Word meeting record and yearly 台账 (docx), the 台账 in Excel (xlsx),
iCalendar feeds (ics), and the bulk facts they are built from (facts, ledger)."""
