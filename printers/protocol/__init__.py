"""What makerline and its printers agree on: topics, payloads, job files, the broker."""
