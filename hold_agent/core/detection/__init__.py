"""Who is talking at the far end: a hold queue, a live person, a phone menu, a voicemail, or a
closed office? Detection classifies; it moves nothing (the state machine decides).

- `model.py`: the utterance model, learned from the corpus: a line in, a calibrated
  probability per label out. `train.py` rebuilds it (`python -m hold_agent.learning.train`).
- `judge.py`: the line within its call: repeats, the queue's loop, music and noise, the
  transcriber's confidence, silence, the call's state, whether a person already spoke.
- `features.py`, `text.py`: how a line is read. `corpus.py`: the labelled corpus on disk.
"""

from hold_agent.core.detection.judge import Evidence, Judgement, judge, remember
from hold_agent.core.detection.labels import LABELS, Label, Probabilities
from hold_agent.core.detection.text import is_formatted, normalise

__all__ = [
    "LABELS",
    "Evidence",
    "Judgement",
    "Label",
    "Probabilities",
    "is_formatted",
    "judge",
    "normalise",
    "remember",
]
