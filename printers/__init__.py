"""Everything that speaks to a printer.

- `topics`: MQTT topic names under the prefix; `payloads`: the versioned message models.
- `broker_auth`: Mosquitto's password and ACL files for printer credentials.
- `octoprint`: our adapter over OctoPrint's REST API (octorest, typed errors).
- `agent` (with `agent_config`, `agent_store`, `agent_control`, `print_tracking`): the
  agent that runs beside one OctoPrint and links it to the service over MQTT.
- `octoprint_mqtt`: ingestion of printers that run the OctoPrint-MQTT plugin.
- `simulator`: many simulated printers speaking the agent's protocol from one process.
- `cli`: the `agent` and `simulate` subcommands, registered into `makerline`.
"""
