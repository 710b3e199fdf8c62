"""Printers to try makerline without one: simulated ones, and OctoPrint's Virtual Printer."""
