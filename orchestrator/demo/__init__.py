"""`makerline demo`: the runner, the seeded demo network and the hub's volunteers."""
