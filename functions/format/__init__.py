"""The compact output contract (docs/format.md): tags and columns, the streaming parser, and the
validated rows. Pure: no I/O, no cloud client, nothing of either function.
"""
