"""The terminal UI: a thin Textual app over the dialogue engine (transcript, now playing, why, status).

`app.TuneTalkApp` gets a session loader and an audio set-up handed in; the panels read the replies and
the dialogue state, and never decide anything themselves. `playback` holds the clip-player seam.
"""
