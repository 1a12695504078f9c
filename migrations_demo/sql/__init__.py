"""SQL the package runs, one file per statement group, read at import time."""
