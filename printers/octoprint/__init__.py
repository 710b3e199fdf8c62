"""OctoPrint as we drive it: its REST adapter and the rules of what it shows of our jobs."""
