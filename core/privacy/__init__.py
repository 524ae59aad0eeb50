"""A person's data rights and the bot's discretion: what reaches logs, exports, erasure, retention."""
