"""The conversation log: written by the app one turn at a time (SQLite), read back as columns for learning."""
