"""The service's side of the printer link: the MQTT connection, the bridge that turns
printers' messages into state and recorded events, and the broker's access files."""
