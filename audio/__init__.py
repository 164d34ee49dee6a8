"""Hardware and sound: speech recognition, microphone, speech synthesis, playback, clip synthesis.

The only package that imports sounddevice, vosk, pocketsphinx, pyttsx3 or webrtcvad.

  sound        Sound (mono float32) and WAV reading/writing
  vad          voice-activity segmentation (webrtcvad and level): utterance start, endpoint, time-outs
  microphone   live input (sounddevice); wav_source: the same from a file
  asr          the recognizer interface; vosk_asr and sphinx_asr implement it; vocabulary feeds both
  prosody      loudness and pitch relative to the speaker's own level
  listener     speech in: the seam the voice loop listens through
  tts          speech out: pyttsx3 (espeak-ng), or espeak-ng directly
  player       sound out: one queue for speech and clips, stoppable for barge-in; or a WAV file
  voice_loop   listen -> dialogue step -> speak -> clip
  errors       one error class per stage, with stable codes
  devices      finding the sound devices
  clips        clip synthesis from track features
"""
