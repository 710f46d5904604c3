"""The local stack: real emulators and servers on this machine, for tests and the demo."""
