"""Judge a line within its call: the utterance model's probabilities, weighed with what this
call has already heard and when.

The utterance model reads one line. A call tells more: a line heard before is a recording
whatever it says (and the time since is the queue's loop); music comes out short, unformatted
and unsure, among other noise; a person's first words often follow a silence. `judge` turns
those into evidence, and a second logistic layer (its weights trained with the utterance
model, `call` in model.json.gz) combines the evidence with the line's probability of a person
into the probability that a live person is speaking. The machine probabilities keep the
utterance model's proportions. The call's state and whether a person already spoke are for
the machine to weigh: it holds a threshold per state.

Detection only classifies. It moves nothing: the state machine owns every threshold and every
move (see machine.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from hold_agent.core.detection.labels import LABELS, Label, Probabilities
from hold_agent.core.detection.memory import DetectorMemory, HeardLine
from hold_agent.core.detection.model import UtteranceModel, shipped
from hold_agent.core.detection.text import is_formatted, normalise, words

LOW_CONFIDENCE = 0.6  # music and noise rarely come through clearer than this
CLEAR = 0.75  # speech said to the phone usually comes through at least this clear
SILENCE_SECONDS = 15.0  # a stretch without speech before a line
NOISE_NEIGHBOURHOOD_SECONDS = 20.0
REPEAT_SIMILARITY = 0.75  # word-set overlap at which two lines are the same recording
MAX_REMEMBERED = 40
LOGIT_CLIP = 8.0

# Guards the machine reads, not model inputs: a person asking us to hold or transferring us
# is decisive with a person on the line; "one moment" is a hold only if music follows.
_ASKS_TO_HOLD = re.compile(
    r"\bplease (?:continue to |remain on |stay on )?hold\b|\bhold please\b"
    r"|\b(?:put|place|placing|putting) you (?:on|on a) (?:brief |short |quick |little )?hold\b"
    r"|\b(?:can|could|would|will|do you mind if) (?:you|i) (?:please )?(?:hold|put you on hold)\b"
    r"|\b(?:would|do) you mind (?:holding|if i put you)\b|\b(?:i'll )?be right back\b"
    r"|\b(?:transferring|connecting) (?:you|your call)\b|\b(?:transfer|connect) you (?:to|over)\b"
    r"|\byour call (?:is being|will be|has been) (?:transferred|connected|forwarded)\b"
    r"|\blet me (?:go|run|step) (?:and )?(?:check|grab|ask|get|find|see|look)\b"
    r"|\b(?:le|lo) (?:voy a )?(?:poner|pongo|transfiero|comunico) (?:en espera|con)\b|\bun momento,? por favor\b"
)
_SOFT_HOLD = re.compile(
    r"\b(?:hang|hold) on\b|\bhang tight\b|\bgive me (?:one|a|just a) (?:sec|second|moment|minute)\b|\bbear with me\b"
    r"|(?:^|[.,!] )(?:one|just a|just one) (?:sec|second|moment|minute)\b"
)
# A line that is only an opening: a hello, a name, a company. A person answering and the first
# sentence of a voicemail greeting sound the same; what follows tells them apart.
_GREETING_ONLY = re.compile(
    r"^(?!.*\b(?:voice ?mail|mailbox|message|closed|not available|unavailable|in service|tone|beep|hours|buz[o\u00f3]n"
    r"|mensaje|cerrad|disponible)\b)"
    r"(?:(?:hi|hello|hey|hiya|yes|yeah|good (?:morning|afternoon|evening)|hola|bueno|buenas(?: tardes| noches)?"
    r"|buenos d[i\u00ed]as|d[i\u00ed]game|al[o\u00f3])[ ,.!?]*)*"
    r"(?:(?:this is|it's|you've reached|you have reached|you're speaking (?:to|with)|thank you for calling"
    r"|thanks for calling|habla|le atiende|ha llamado a)\b[\w' &.-]{0,40}?(?:,? (?:speaking|here))?[ ,.!?]*){0,2}$"
)
MAX_GREETING_WORDS = 10
# Music rendered as words: one or two words over and over ("yeah yeah", "na na na").
_CHANT = re.compile(r"^(\w+)(?:[ ,.!]+\1)+[ .!?]*$|^(\w+) (\w+)(?:[ ,.!]+\2 \3)+[ .!?]*$")
_MUSIC_MARKS = re.compile(
    r"[\u266a\u266b\u266c]|\[(?:music|noise|silence|inaudible|applause)\]|\((?:music|noise)\)", re.I
)


@dataclass(frozen=True)
class Evidence:
    """What the call adds to the line. Every field is a fact, not a decision."""

    words: int
    formatted: bool
    confidence: float | None
    repeat: bool  # nearly the same as a machine line this call already heard
    loop_seconds: float | None  # for a repeat: seconds since that line was last heard
    noise: bool  # music or noise marks: a chant, a music symbol
    after_noise: bool  # the last thing heard, a moment ago, was music or noise
    silence_before: float | None  # seconds since the last speech, if any was heard
    asks_to_hold: bool
    soft_hold: bool
    greeting_only: bool  # nothing but an opening ("Hello, this is the office."): person or greeting


@dataclass(frozen=True)
class Judgement:
    label: Label  # the most probable, call context included
    probabilities: Probabilities  # call context included
    line: Probabilities  # the utterance model alone
    evidence: Evidence

    def why(self) -> str:
        """A short account for the session's history: the label, its probability, the evidence."""
        facts = [f"p({self.label.value})={self.probabilities[self.label]:.2f}"]
        if self.label is not Label.HUMAN:
            facts.append(f"p(human)={self.probabilities[Label.HUMAN]:.2f}")
        evidence = self.evidence
        if evidence.repeat:
            facts.append("a repeat" + (f" after {evidence.loop_seconds:.0f} s" if evidence.loop_seconds else ""))
        if evidence.noise:
            facts.append("music marks")
        if evidence.confidence is not None and evidence.confidence < LOW_CONFIDENCE:
            facts.append(f"unsure transcript ({evidence.confidence:.2f})")
        if evidence.silence_before is not None and evidence.silence_before >= SILENCE_SECONDS:
            facts.append(f"after {evidence.silence_before:.0f} s of silence")
        return ", ".join(facts)


def judge(
    text: str,
    *,
    is_final: bool = True,
    confidence: float | None = None,
    at: datetime | None = None,
    memory: DetectorMemory | None = None,
    model: UtteranceModel | None = None,
) -> Judgement:
    """Classify one transcript within its call (`memory`: what the call heard before)."""
    model = model or shipped()
    memory = memory or DetectorMemory()
    if not is_final:
        confidence = None  # Deepgram's partials report 0.0: it says nothing of the words
    line = model.probabilities(text)
    evidence = gather(text, confidence, at, memory)
    inputs = call_inputs(line, evidence, is_final=is_final)
    score = model.call_bias + sum(model.call_weights.get(name, 0.0) * value for name, value in inputs.items())
    human = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, score))))
    probabilities = _with_human(line, human)
    return Judgement(probabilities.top, probabilities, line, evidence)


def gather(text: str, confidence: float | None, at: datetime | None, memory: DetectorMemory) -> Evidence:
    normalised = normalise(text)
    tokens = words(normalised)
    match = _repeat_of(tokens, memory.heard)
    loop = (at - match.at).total_seconds() if match is not None and match.at is not None and at is not None else None
    silence = (at - memory.last_speech_at).total_seconds() if at is not None and memory.last_speech_at else None
    after_noise = (
        memory.last_noise_at is not None
        and memory.last_noise_at == memory.last_speech_at
        and at is not None
        and (at - memory.last_noise_at).total_seconds() < NOISE_NEIGHBOURHOOD_SECONDS
    )
    chant = (
        bool(tokens)
        and set(tokens) != {"hello"}
        and (_CHANT.match(" ".join(tokens)) is not None or (len(tokens) >= 3 and len(set(tokens)) <= 2))
    )
    return Evidence(
        words=len(tokens),
        formatted=is_formatted(text),
        confidence=confidence,
        repeat=match is not None,
        loop_seconds=loop,
        noise=chant or _MUSIC_MARKS.search(text) is not None,
        after_noise=after_noise,
        silence_before=silence,
        asks_to_hold=_ASKS_TO_HOLD.search(normalised) is not None,
        soft_hold=_SOFT_HOLD.search(normalised) is not None,
        greeting_only=0 < len(tokens) <= MAX_GREETING_WORDS and _GREETING_ONLY.match(normalised) is not None,
    )


def call_inputs(line: Probabilities, evidence: Evidence, *, is_final: bool) -> dict[str, float]:
    """The call layer's inputs, by name (the names are the keys of `call.weights` in the model file)."""
    human = min(max(line[Label.HUMAN], 1e-6), 1 - 1e-6)
    logit = max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(human / (1 - human))))
    confidence = evidence.confidence
    silent = evidence.silence_before is not None and evidence.silence_before >= SILENCE_SECONDS
    # Deliberately few, each with a reason to generalise beyond the streams it is fitted on. A
    # final without a confidence is no evidence either way (Telnyx normally sends one; writers
    # of streams leave it out at whim), so it shifts nothing.
    inputs = {
        "line_human_logit": logit,
        "repeat": float(evidence.repeat),
        "low_confidence": float(confidence is not None and confidence < LOW_CONFIDENCE),
        "unclear": float(confidence is not None and LOW_CONFIDENCE <= confidence < CLEAR),
        "unformatted": float(not evidence.formatted),
        "one_word": float(evidence.words <= 1),
        "two_words": float(evidence.words == 2),
        "noise": float(evidence.noise),
        "after_noise": float(evidence.after_noise),
        "after_silence": float(silent),
        "interim": float(not is_final),
    }
    return inputs


def remember(memory: DetectorMemory, text: str, judgement: Judgement, at: datetime | None) -> DetectorMemory:
    """The memory after hearing this final line (pure: returns a new memory)."""
    noisy = judgement.label is Label.OTHER or judgement.evidence.noise
    return remember_line(memory, text, person=judgement.label is Label.HUMAN, noisy=noisy, at=at)


def remember_line(
    memory: DetectorMemory, text: str, *, person: bool, noisy: bool, at: datetime | None
) -> DetectorMemory:
    """Lines that were not a person are remembered, so that their repeats are known for
    recordings; the time of any speech, and of noise, is kept for silences."""
    heard = list(memory.heard)
    fingerprint = " ".join(words(normalise(text)))
    if not person and fingerprint:
        heard = [entry for entry in heard if entry.text != fingerprint]
        heard = [*heard, HeardLine(text=fingerprint, at=at)][-MAX_REMEMBERED:]
    return DetectorMemory(
        heard=heard,
        last_speech_at=at or memory.last_speech_at,
        last_noise_at=(at or memory.last_noise_at) if noisy else memory.last_noise_at,
    )


def _repeat_of(tokens: list[str], heard: list[HeardLine]) -> HeardLine | None:
    """The remembered line this one repeats: the same, nearly the same, or a piece of it
    (recordings are often split into several transcripts)."""
    if not tokens or not heard:
        return None
    text = " ".join(tokens)
    if len(tokens) < 3:
        return next((entry for entry in reversed(heard) if entry.text == text), None)
    unique = set(tokens)
    for entry in reversed(heard):
        if text in entry.text:
            return entry
        earlier = set(entry.text.split())
        if (
            len(unique) >= 4
            and len(earlier) >= 4
            and len(unique & earlier) / len(unique | earlier) >= REPEAT_SIMILARITY
        ):
            return entry
    return None


def _with_human(line: Probabilities, human: float) -> Probabilities:
    """The line's probabilities with the person's replaced, the rest keeping their proportions."""
    rest = 1.0 - line[Label.HUMAN]
    values = []
    for label, value in line:
        if label is Label.HUMAN:
            values.append(human)
        elif rest > 1e-9:
            values.append((1.0 - human) * value / rest)
        else:
            values.append((1.0 - human) / (len(LABELS) - 1))
    return Probabilities(tuple(values))
