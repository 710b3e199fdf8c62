"""Printers that run the OctoPrint-MQTT plugin: its messages, read as pure functions."""
