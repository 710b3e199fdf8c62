"""The printer agent that runs beside a maker's OctoPrint."""
