"""One module per HeyGen API area (the names the other layers use), each exposing ``routes``."""
