"""Wire messages: every client command, server event and bus envelope as a
msgspec Struct, plus the codec that turns bytes into them and back."""
