"""The offline demo: bundled sample feeds served from 127.0.0.1."""
