"""What is the far end saying? Hold language, a live person, an IVR prompt, a voicemail.

Rules of this module:
- Pure and deterministic: text in, judgement out. No network, no clock, no model.
- Rules are data (`RULES`): a pattern, what it is evidence of, and how strongly.
- State-aware: hold language only counts where hold can begin (ivr, representative);
  pickup language only counts on hold. Elsewhere the verdict is still reported, for the
  record, but `actionable` is False.
- The classic trap is handled by weighing, not by first match: "Thank you for holding. All
  of our representatives are still assisting other callers" opens like a greeting but is
  hold, because waiting language outweighs a polite opener and no person introduces
  themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .session import CallState


class Verdict(StrEnum):
    HOLD = "hold"
    HUMAN = "human"
    IVR = "ivr"
    VOICEMAIL = "voicemail"
    CLOSED = "closed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rule:
    label: Verdict
    weight: int
    pattern: re.Pattern[str]
    why: str


def _rule(label: Verdict, weight: int, pattern: str, why: str) -> Rule:
    return Rule(label, weight, re.compile(pattern, re.IGNORECASE), why)


# Words that follow "this is" in recordings, not in a person's introduction.
_NOT_A_NAME = (
    r"(?!(?:a|an|the|to|not|our|your|my|it|that|what|why|how|for|because|being|only|"
    r"just|important|urgent|regarding|about|in|on|at|no|all|also|automated|recorded)\b)"
)

RULES: tuple[Rule, ...] = (
    # Hold: the queue talking.
    _rule(Verdict.HOLD, 3, r"\b(?:please|kindly)\s+(?:continue\s+to\s+)?(?:hold|wait)\b", "asks us to hold"),
    _rule(Verdict.HOLD, 3, r"\b(?:continue|remain|stay)\s+(?:to\s+)?(?:hold|on\s+hold|on\s+the\s+line)\b", "asks us to stay on the line"),
    _rule(Verdict.HOLD, 3, r"\byour\s+call\s+is\s+(?:very\s+)?important\b", "'your call is important'"),
    _rule(Verdict.HOLD, 3, r"\b(?:all\s+)?(?:of\s+)?our\s+(?:agents|representatives|associates|team\s+members|staff|specialists|operators)\s+(?:are|remain)\s+(?:still\s+|currently\s+)?(?:busy|assisting|helping|with|on|serving|unavailable)", "says the agents are busy"),
    _rule(Verdict.HOLD, 3, r"\bnext\s+available\s+(?:agent|representative|associate|specialist|operator|person|team\s+member)\b", "'next available representative'"),
    _rule(Verdict.HOLD, 3, r"\b(?:answered|received|taken)\s+in\s+the\s+order\b", "queue order announcement"),
    _rule(Verdict.HOLD, 3, r"\b(?:estimated\s+)?(?:wait|hold)\s+time\b", "announces a wait time"),
    _rule(Verdict.HOLD, 3, r"\byou\s+are\s+(?:caller\s+)?(?:number\s+\w+|\w+\s+in\s+(?:line|the\s+queue))\b", "announces our queue position"),
    _rule(Verdict.HOLD, 2, r"\b(?:high(?:er)?|heavy|unusually\s+high)\s+(?:than\s+normal\s+)?call\s+volume", "high call volume"),
    _rule(Verdict.HOLD, 2, r"\bwill\s+be\s+with\s+you\s+(?:shortly|momentarily|soon|as\s+soon)", "'will be with you shortly'"),
    _rule(Verdict.HOLD, 2, r"\b(?:transferring|connecting)\s+you\b", "transferring us"),
    _rule(Verdict.HOLD, 2, r"\b(?:put|place|placing|putting)\s+you\s+on\s+(?:a\s+(?:brief|short)\s+)?hold\b", "puts us on hold"),
    _rule(Verdict.HOLD, 1, r"\bthanks?\s*(?:you)?\s+for\s+(?:your\s+)?(?:holding|patience|waiting|continuing\s+to\s+hold)\b", "thanks us for holding"),
    _rule(Verdict.HOLD, 1, r"\bon\s+hold\b", "mentions hold"),
    # A person: introductions, questions to us, conversational openers.
    _rule(Verdict.HUMAN, 3, r"\bthis\s+is\s+" + _NOT_A_NAME + r"[a-z]+(?:\s+(?:with|from|in|at|speaking)\b|[,.!?]|$)", "a person introduces themselves"),
    _rule(Verdict.HUMAN, 3, r"\b(?:my\s+name\s+is|my\s+name's|name's)\s+[a-z]+", "a person gives their name"),
    _rule(Verdict.HUMAN, 3, r"\b[a-z]+\s+speaking\b", "'<name> speaking'"),
    _rule(Verdict.HUMAN, 3, r"\b(?:who\s+am\s+i\s+(?:speaking|talking)\s+(?:with|to)|(?:can|may)\s+i\s+(?:get|have)\s+your\s+name|are\s+you\s+(?:still\s+)?there)\b", "asks who we are"),
    _rule(Verdict.HUMAN, 2, r"\b(?:how|what)\s+(?:can|may)\s+i\s+(?:help|assist|do\s+for)\s+you\b", "offers to help"),
    _rule(Verdict.HUMAN, 2, r"\bsorry\s+(?:about|for)\s+(?:the|your)\s+(?:wait|hold)\b", "apologises for the wait"),
    _rule(Verdict.HUMAN, 2, r"^\s*(?:hello|hi|hey)(?:\s+there)?\s*[?.!]*\s*$", "a bare hello"),
    # An IVR menu.
    _rule(Verdict.IVR, 3, r"\b(?:press|dial|enter)\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|zero|star|pound)\b", "offers keypad options"),
    _rule(Verdict.IVR, 2, r"\bfor\s+[a-z ]+,\s*(?:press|say)\b", "menu option"),
    _rule(Verdict.IVR, 2, r"\b(?:main\s+menu|menu\s+options|please\s+listen\s+carefully)\b", "menu talk"),
    # Nobody will answer.
    _rule(Verdict.VOICEMAIL, 3, r"\b(?:leave\s+(?:a|your)\s+message|after\s+the\s+(?:tone|beep)|voice\s*mail)\b", "voicemail prompt"),
    _rule(Verdict.CLOSED, 3, r"\b(?:(?:office|offices|we)\s+(?:is|are)\s+(?:currently\s+|now\s+)?closed|outside\s+(?:of\s+)?(?:our\s+)?(?:normal\s+)?business\s+hours)\b", "closed-office message"),
)

# The smallest score that counts as a decision, per verdict.
THRESHOLD = 2


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    actionable: bool
    reason: str
    scores: dict[str, int]


def score(text: str) -> tuple[dict[Verdict, int], dict[Verdict, list[str]]]:
    totals: dict[Verdict, int] = {}
    reasons: dict[Verdict, list[str]] = {}
    for rule in RULES:
        if rule.pattern.search(text):
            totals[rule.label] = totals.get(rule.label, 0) + rule.weight
            reasons.setdefault(rule.label, []).append(rule.why)
    return totals, reasons


def judge(text: str, state: CallState, person_seen: bool = False) -> Judgement:
    """Classify one final utterance and say whether it should move a call in `state`.

    `person_seen`: a representative already spoke with us on this call. If they put us on
    hold, no queue plays announcements at us: anything said that is not hold or menu talk
    is them coming back ("Okay, thanks for holding, I found a room").
    """
    totals, reasons = score(text)
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    if state is CallState.HOLD and person_seen and _sounds_like_return(text, totals):
        return Judgement(Verdict.HUMAN, True, "the representative is back", _plain(totals))
    if not ranked or ranked[0][1] < THRESHOLD:
        return Judgement(Verdict.UNKNOWN, False, "no decisive phrase", _plain(totals))
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if best_score == runner_up:
        return Judgement(Verdict.UNKNOWN, False, "mixed signals: " + _explain(reasons), _plain(totals))
    actionable = (best is Verdict.HOLD and state in (CallState.IVR, CallState.REPRESENTATIVE)) or (
        best is Verdict.HUMAN and state is CallState.HOLD
    )
    return Judgement(best, actionable, "; ".join(reasons[best]), _plain(totals))


def _sounds_like_return(text: str, totals: dict[Verdict, int]) -> bool:
    words = re.findall(r"[a-z']+", text.lower())
    return (
        len(words) >= 2
        and totals.get(Verdict.HOLD, 0) < THRESHOLD
        and not any(label in totals for label in (Verdict.IVR, Verdict.VOICEMAIL, Verdict.CLOSED))
    )


def _plain(totals: dict[Verdict, int]) -> dict[str, int]:
    return {str(label): value for label, value in totals.items()}


def _explain(reasons: dict[Verdict, list[str]]) -> str:
    return ", ".join(f"{label}: {'; '.join(why)}" for label, why in reasons.items())
