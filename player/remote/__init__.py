"""Remote commands from the hub: a fixed set, each allowed or not by the box's own config.

- ``record``: the durable list of command ids already taken (at most once, across restarts).
- ``system``: the machine actions (reboot, the journal) behind an interface tests replace.
- ``executor``: checks a command and carries it out (no shell, no paths from the hub).
- ``worker``: the thread that asks the hub for commands and posts the results back.

docs/remote.md describes the commands, the config keys and the formats on the wire.
"""
