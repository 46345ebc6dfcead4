"""Typed identifiers used across the package.

They are plain ``int``/``str`` at run time; ``NewType`` lets mypy keep a user id
from being passed where a room id is expected.
"""

from typing import NewType

UserId = NewType("UserId", int)
RoomId = NewType("RoomId", str)
SocketId = NewType("SocketId", str)
CommandId = NewType("CommandId", str)
GatewayId = NewType("GatewayId", str)
