"""Hardware and sound: speech recognition, microphone, speech synthesis, playback, clip synthesis.

The only package that imports sounddevice, vosk, pocketsphinx, pyttsx3 or speech_recognition.
"""
