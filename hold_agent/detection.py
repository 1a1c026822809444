"""Who is talking at the far end: a hold queue, a live person, a phone menu, a voicemail, or a
closed office? Pure and deterministic: text and the call's own memory in, a judgement out.

How a judgement is made
1. Cues (the `CUES` table, readable as data) each add weight to one label when their
   pattern appears: scripted queue vocabulary ("your call is important", "next available",
   queue position, wait times, promos, callback offers), menu vocabulary ("press 2",
   "say or enter", "in a few words, tell me"), voicemail and closed-office phrases, recorded
   notices, and the marks of a person talking to us: a name introduction, a department
   answering, a question that expects an answer ("who am I speaking with?"), an apology for
   the wait, fillers, "I" rather than "we".
2. Structure adds more: a known first name after "this is"; a bare "Hello?" or "Billing.";
   a greeting word opening the line; first words after a long silence.
3. Memory decides the classic trap: a line that repeats something this call already heard
   from a machine is a recording, whatever it says.
4. Scores become one verdict: a person must clearly out-score hold language (a polite opener
   like "thank you for holding" is not a person); menus beat hold language only when they
   are the stronger signal; voicemail and closed need their own evidence.
5. The state decides what is actionable:
     ivr             hold -> hold; a person -> representative; voicemail / closed -> end
     hold            a person -> representative; voicemail / closed -> end
     representative  the person asking us to hold, or a transfer -> hold
   A representative who put us on hold is back at their own words: a sentence that speaks
   as "I" or asks us something, a confident "Yeah.", or a thank-you not heard before on this
   call once a queue's loop would have started. Queues play inside personal holds too.
6. Interim results never decide, unless unmistakable: a name and an offer to help, with no
   machine vocabulary at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .detection_names import FIRST_NAMES
from .session import CallState, DetectorMemory


class Verdict(StrEnum):
    HOLD = "hold"
    HUMAN = "human"
    IVR = "ivr"
    VOICEMAIL = "voicemail"
    CLOSED = "closed"
    OTHER = "other"


@dataclass(frozen=True)
class Cue:
    label: Verdict
    weight: int
    pattern: re.Pattern[str]
    why: str
    # "hold_request": a person asking us to hold, or a transfer (actionable with a person on the line).
    tag: str = ""


def _cue(label: Verdict, weight: int, pattern: str, why: str, tag: str = "") -> Cue:
    return Cue(label, weight, re.compile(pattern), why, tag)


HOLD, PERSON, MENU, VOICEMAIL, CLOSED, OTHER = Verdict.HOLD, Verdict.HUMAN, Verdict.IVR, Verdict.VOICEMAIL, Verdict.CLOSED, Verdict.OTHER
_NUM = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|zero|star|pound|hash)"
_STAFF = r"(?:agents?|representatives?|reps|associates?|specialists?|operators?|team members?|staff|advisors?|colleagues|nurses|pharmacists|consultants|customer service (?:representatives|agents))"

# Patterns run on the normalised line: lower case, straight apostrophes, single spaces.
CUES: tuple[Cue, ...] = (
    # --- a queue talking ---------------------------------------------------------------------
    _cue(HOLD, 4, r"\bplease (?:continue to |remain on |stay on )?hold\b", "asks us to hold", "hold_request"),
    _cue(HOLD, 4, r"\b(?:continue|remain|stay|keep) (?:to )?(?:hold(?:ing)?|on hold|on the line)\b", "asks us to stay on the line"),
    _cue(HOLD, 3, r"\b(?:do not|don'?t|please don'?t) hang up\b", "asks us not to hang up"),
    _cue(HOLD, 4, r"\byour call (?:is|remains) (?:very |extremely )?important\b|\bsu llamada es (?:muy )?importante\b", "'your call is important'"),
    _cue(HOLD, 4, rf"\b(?:all )?(?:of )?our (?:\w+ )?{_STAFF} (?:are|remain|is) (?:still |currently |now |presently )?(?:busy|assisting|helping|with|on|serving|unavailable|occupied|handling|speaking)"
        rf"|\ball (?:of )?(?:the )?(?:\w+ )?{_STAFF} (?:are|remain) (?:still |currently |now )?(?:busy|assisting|helping|serving|unavailable|occupied)", "says the staff are busy"),
    _cue(HOLD, 4, r"\b(?:helping|assisting|serving|speaking with|with) other (?:callers|customers|guests|patients|members|clients|passengers)\b", "others are being served first"),
    _cue(HOLD, 4, rf"\b(?:next|first) available {_STAFF}?", "'next available'"),
    _cue(HOLD, 4, r"\b(?:answered|received|taken|handled|helped|served) (?:in the order|out of (?:sequence|order))\b", "queue order"),
    _cue(HOLD, 4, r"\b(?:estimated|expected|approximate|current|average) (?:wait|weight|hold)(?:ing)? time\b|\bwait times? (?:are|is) (?:longer|higher|extended|above)\b", "announces a wait time"),
    _cue(HOLD, 3, r"\b(?:wait|hold) time (?:is|of|will be)\b", "announces a wait time"),
    _cue(HOLD, 4, r"\byou are (?:now |currently )?(?:caller )?(?:number )?\w+ in (?:line|the queue|queue)\b|\byou are (?:now )?caller (?:number )?\w+|\byour (?:current )?position in (?:the )?(?:queue|line)\b|\bcallers? ahead of you\b", "queue position"),
    _cue(HOLD, 3, r"\b(?:high|heavy|higher than (?:normal|usual|expected)|unusually high|increased) (?:call |caller )?volumes?\b", "high call volume"),
    _cue(HOLD, 3, r"\b(?:will|we'll) be (?:right )?(?:back )?with you (?:shortly|momentarily|soon|as soon as|in just)|\bwill be right (?:back )?with you\b", "'will be with you shortly'"),
    _cue(HOLD, 2, rf"\b(?:a|the|an|your) (?:\w+ ){{0,3}}(?:{_STAFF}|engineers?|technicians?|advocates?|coordinators?) will (?:be|answer|assist|take)\b|\bwhen (?:the|an|a|your) {_STAFF} answers\b", "an agent will answer"),
    _cue(HOLD, 4, r"\byour call will be (?:answered|taken|handled)\b", "'your call will be answered'"),
    _cue(HOLD, 3, r"\b(?:working|waiting) to (?:answer|take) your call\b|\bto (?:answer|take) your call (?:as soon|shortly|in)\b", "working to answer"),
    _cue(HOLD, 3, r"\bhave your (?:[\w']+ ){1,14}?ready\b|\bwhile you wait\b", "talks to us while we wait"),
    _cue(HOLD, 2, r"\bwe (?:appreciate|value|thank you for) your (?:patience|business|call)\b", "thanks the customer in the abstract"),
    _cue(HOLD, 3, r"\b(?:we )?(?:have not|haven't) forgotten (?:about )?you\b|\byou have not been forgotten\b", "reassures a waiting caller"),
    _cue(HOLD, 2, r"\b(?:we are|we're|were) (?:currently |still )?experiencing\b", "'we are experiencing'"),
    _cue(HOLD, 1, r"\b(?:thank you|thanks) (?:so much )?for (?:your )?(?:continued )?(?:patience|patients|holding|folding|hoarding|waiting|continuing to hold|staying on the line|hanging on)\b", "thanks us for holding"),
    _cue(HOLD, 1, r"\bon hold\b", "mentions hold"),
    _cue(HOLD, 6, r"\b(?:keep|hold|save|maintain|lose|losing) your place in (?:line|the queue|queue)\b|\b(?:receive|request|schedule|get|have) a (?:call ?back|return call)\b|\bcallback (?:option|feature|service)\b|\bhave us call you\b", "offers a callback"),
    _cue(HOLD, 2, r"\b(?:rather than|instead of|prefer not to) (?:wait|hold)", "offers not to wait"),
    _cue(HOLD, 2, r"\bcall you back when\b|\bwithout (?:losing|waiting)\b", "offers a callback"),
    _cue(HOLD, 2, r"\bdid you know\b", "a promo", "promo"),
    _cue(HOLD, 2, r"\b(?:you can|you may) (?:also )?(?:visit|go to|pay|manage|check|find|view|access|download|text|chat|log in|update|schedule|request|reach us)\b.*\b(?:online|website|app|\.com|portal|chat)\b|\byou can (?:also )?\w+ .{0,60}\bonline\b|\bvisit (?:us|our website)\b|\bvisiting our website\b|\bask (?:your (?:representative|agent|advisor) |us )?(?:for|about) (?:our|\d+%|\d+ percent|special|the new)\b|\bwww\b|\b\w+ ?(?:dot|\.) ?(?:com|org|gov|net|io|us)\b|\bdownload (?:the|our) \w* ?app\b|\b24 hours a day\b|\bfor faster service\b"
        r"|\b(?:faster|quicker|easier) (?:in|on|through|with|using|at) (?:the |our )?(?:[\w']+ ){0,2}(?:app|website|site|portal)\b", "points us online", "promo"),
    _cue(HOLD, 4, r"\b(?:transferring|connecting) (?:you|your call)\b|\byour call (?:is being|will be|has been) (?:transferred|connected|forwarded|routed)\b|\bwhile (?:we|i) (?:transfer|connect)\b", "transferring us", "hold_request"),
    _cue(HOLD, 4, r"\b(?:put|place|placing|putting) you (?:on|on a) (?:brief |short |quick |little )?hold\b", "puts us on hold", "hold_request"),
    _cue(HOLD, 4, r"\b(?:can|could|would|will|do you mind if) (?:you|i) (?:please )?(?:hold|put you on hold)\b|\b(?:would|do) you mind (?:holding|if i put you)\b|\bhold please\b"
        r"|\b(?:i'll )?be right back\b|\blet me (?:go|run|step) (?:and )?(?:check|grab|ask|get|find|see|look)\b", "asks us to hold", "hold_request"),
    # Said while leaving the phone, or while typing: the line decides ("soft_hold", see machine).
    _cue(HOLD, 2, r"\b(?:hang|hold) on\b|\bhang tight\b|\bgive me (?:one|a|just a) (?:sec|second|moment|minute)\b|\bbear with me\b"
        r"|(?:^|[.,!] )(?:one|just a|just one) (?:sec|second|moment|minute)\b", "asks us to wait a moment", "soft_hold"),
    # --- a phone menu ------------------------------------------------------------------------
    _cue(MENU, 4, rf"\b(?:press|dial|enter|push|select|marque|oprima) {_NUM}\b|\bpara (?:espa[nñ]ol|continuar)\b", "offers keypad options"),
    _cue(MENU, 3, r"\b(?:for|to) [a-z' ]{2,40},? (?:press|say|dial)\b", "menu option"),
    _cue(MENU, 3, r"\b(?:following options|choose from|main menu|menu options|listen carefully|options have changed|to repeat (?:these|this|the) (?:options|menu|message))\b", "menu talk"),
    _cue(MENU, 3, r"\bfollowed by (?:the )?(?:pound|hash|star)\b|\b(?:touch[ -]?tone|keypad)\b", "keypad instructions"),
    _cue(MENU, 3, r"\b(?:say or enter|enter or say|say or press|press or say)\b|\bsay yes or no\b|\bsay it or (?:key|enter|type) it\b", "say-or-enter"),
    _cue(MENU, 4, r"\bin (?:just )?a (?:few|couple of) words\b|\bbriefly (?:tell|describe|say)\b", "conversational IVR"),
    _cue(MENU, 3, r"\byou can (?:say|ask) (?:things|something) like\b|\bfor example,? (?:you can )?say\b|\bwhich of these\b|\bor something else\b", "conversational IVR"),
    _cue(MENU, 3, r"\b(?:sorry|i'm sorry),? (?:i|we) (?:still )?(?:didn't|did not) (?:get|catch|understand|hear|recognize)\b|\bplease try again\b|\blet's try again\b|\bthat (?:is not|isn't) a valid\b|\bhaving trouble understanding\b", "IVR retry prompt"),
    _cue(MENU, 3, r"\bi think you said\b|\bis that (?:correct|right)\?\s*(?:please )?say\b|\byou want to (?:talk|speak) (?:to|with) (?:an?|the) (?:agent|representative|person)\b|\bare you calling about\b|\b(?:it )?sounds like you(?:'re| are) calling (?:about|to|for)\b", "conversational IVR confirms"),
    _cue(MENU, 3, r"(?:^|[.!?] )please (?:say|enter|key in)\b(?! (?:that |it )?again)", "an instruction to say or key something"),
    _cue(MENU, 2, r"\b(?:please )?(?:say|enter|tell me|key in) (?:your|the) (?:\w+ ){0,4}(?:number|account|policy|member id|zip|date of birth|pin|social|id|digits)\b|\b(?:enter|key in|type) (?:the|your) (?:\w+ ){0,4}(?:digits|number|pin|code)\b", "asks us to key in a number"),
    _cue(MENU, 2, r"\bbefore i (?:transfer|connect|route) you\b|\bi'll (?:get|connect|transfer|route) you to (?:the right|someone|an? )|\blet me get you to\b", "conversational IVR routing"),
    _cue(MENU, 6, r"\b(?:i can|we can) help (?:you )?with things like \w+ing\b|\bsay things like\b", "a conversational IVR lists what it does"),
    _cue(MENU, 3, r"\byour (?:current |account )?balance is\b|\baccount ending in\b|\bnumber associated with (?:your|an|the) account\b", "reads out an account"),
    _cue(MENU, 9, r"\b(?:virtual|automated|digital) (?:assistant|agent|attendant|system)\b", "an automated assistant", "automated"),
    _cue(MENU, 2, r"\bif you know your party's extension\b|\bdial by name\b|\bcompany directory\b|\bextension\b", "directory"),
    _cue(MENU, 2, r"\bwelcome to\b", "a system greeting"),
    _cue(MENU, 2, r"\bif this is (?:a|an) (?:medical )?emergency\b", "a system disclaimer"),
    _cue(MENU, 1, r"\bthank you for calling\b|\bthanks for calling\b", "thanks us for calling"),
    # --- nobody will answer ------------------------------------------------------------------
    # A person on the line never asks for a message: this outweighs a recorded name and greeting.
    _cue(VOICEMAIL, 10, r"\bleave (?:a|your|us a|me a|me your|your name|a brief|a detailed) ?(?:brief |short |detailed )?(?:message|voicemail|name)\b|\bleave (?:your |me |us )?(?:\w+ ){0,6}(?:and |with )?a (?:brief |short |detailed )?message\b|\b(?:after|at) the (?:tone|beep)\b", "voicemail prompt"),
    _cue(VOICEMAIL, 3, r"\b(?:not|un)able to (?:take|answer|come to) (?:your call|the phone)\b|\b(?:not )?available to take your call\b|\bcan(?:'t|not) (?:take|come to) (?:your call|the phone)\b|\baway from (?:my|the) desk\b|\bout of the office\b|\bout in the field\b|\bmissed your call\b|(?<!was )(?<!were )(?<!just )(?<!someone )(?<!somebody )\bon the other line\b|\bcan(?:'t|not) (?:get|grab|get to|come to) the phone\b", "cannot take the call"),
    _cue(VOICEMAIL, 5, r"\bmailbox (?:[\w']+ ){0,6}?(?:is full|has not been set up|is not set up|cannot accept)\b|\bvoice ?mail(?:box)?\b|\bvoice messag(?:e|ing) system\b|\brecord your message\b|\bwhen you(?:'ve| have| are) finished recording\b|\byour message has been (?:recorded|saved|sent)\b|\bto (?:review|re-?record) your message\b", "voicemail system"),
    _cue(VOICEMAIL, 5, r"(?<!you )(?<!you just )\bleave (?:us|me) your (?:name|number|phone number|contact)", "asks for a name and number to call back"),
    _cue(VOICEMAIL, 2, r"\b(?:we're|we are) (?:all )?out on (?:a )?(?:jobs?|job sites?|calls|the road|appointments)\b", "away on jobs"),
    _cue(VOICEMAIL, 2, r"\b(?:i'll|ill|i will|we'll|we will) (?:get (?:right )?back to you|return your call|call you back)\b|\bcallback number\b", "promises a call back"),
    _cue(VOICEMAIL, 1, r"\byou(?:'ve| have) reached\b", "'you have reached'"),
    _cue(CLOSED, 5, r"\b(?:we're|(?:is|are)) (?:currently |now |presently )?closed\b", "says it is closed"),
    _cue(CLOSED, 5, r"\boutside (?:of )?(?:our )?(?:normal |regular |usual )?(?:business|office|operating) hours\b|\b(?:reached us|calling|we are|we're|you've reached [\w' ]{1,40}) after(?:-| )hours\b", "outside business hours"),
    _cue(CLOSED, 2, r"\b(?:our )?(?:business|office|regular|normal|operating) hours are\b|\bwe(?:'re| are) open (?:from|monday|weekdays|between)\b", "gives opening hours"),
    _cue(CLOSED, 3, r"\bplease call (?:us )?(?:back |again )?(?:during|tomorrow|on the next|again during|when we|monday|between)\b|\bnext business day\b|\bwhen we (?:re)?open\b", "asks us to call back later"),
    _cue(CLOSED, 3, r"\b(?:monday|weekdays) (?:through|to|thru) (?:friday|saturday|sunday)\b.{0,30}\b(?:between|from) \d", "gives opening days and hours"),
    _cue(CLOSED, 3, r"\bclosed (?:for|in observance of|on) (?:the )?\w*|\bour (?:[\w']+ ){0,2}will be closed (?:today|tomorrow|all day|until|through)\b", "closed for a day"),
    # --- recordings that are none of the above -----------------------------------------------
    _cue(OTHER, 3, r"\b(?:may|will|might) be (?:recorded|monitored)\b|\bquality (?:assurance|and training|purposes)\b|\btraining purposes\b", "recorded-call notice"),
    _cue(OTHER, 2, r"\bthis is a reminder\b|\bplease be advised\b|\bplease note\b", "a notice"),
    # --- a person talking to us --------------------------------------------------------------
    _cue(PERSON, 3, r"\b(?:how|what) (?:can|may|could) (?:i|we) (?:help|assist|do for) you\b|\bhow (?:can|may|could) i (?:help|assist)\b|\bwhat can i (?:do for (?:you|ya|y'all)|help you with)\b|\bwhat (?:do you|can i get you) need\b|\bwhatcha need\b|\bcan i help(?: you)?\?", "offers to help"),
    _cue(PERSON, 4, r"\bwho (?:am i|do i have the pleasure of|have i got) (?:speaking|talking) (?:with|to)\b|\bwho(?:'s| is) (?:calling|this)\b|\b(?:can|could|may) i (?:please )?(?:get|have|grab|take|ask|start with|begin with|confirm|verify|ask for) (?:your|the|a)\b|\bwho do i have on the line\b|\bwho(?:'d| did) you say\b|\bwhere (?:are|were) you calling from\b|\bwhat(?:'s| is) (?:the|your) (?:\w+ )?(?:number|date|address|zip|email)\b|(?<!enter )(?<!enter the )\blast (?:four|4) (?:digits )?of (?:your|the)\b|\bwhat(?:'s| is| was) (?:your|the) (?:name|account|policy|date of birth|phone|member|claim|reservation|confirmation|order|best|reason)\b|\b(?:can|could) you (?:spell|confirm|verify|give me|tell me|repeat|read me)\b", "asks us something"),
    _cue(PERSON, 1, r"\b(?:you|your|you're)\b[^.!?]*\?", "asks us a question"),
    _cue(PERSON, 3, r"\b(?:does|would|will) (?:that|this|it) (?:work|sound good|be okay|be ok) (?:for you)?\b|\bwhat'?s going on\b|\bwhat(?:'s| is) this (?:regarding|about)\b|\bhow are you(?: doing)?(?: today)?\?|\bhow'?s it going\b|\bhow(?:'s| is) your day\b", "asks how we are"),
    _cue(PERSON, 3, r"\bare you (?:holding|waiting|calling) (?:for|about|to|on)\b", "asks about our call"),
    _cue(PERSON, 3, r"\b(?:[a-z] ){3,}[a-z]\b", "spells something out"),
    _cue(PERSON, 4, r"\b(?:are you|you) still (?:there|with me|on the line)\b|\b(?:are )?you there\?|\bcan you hear me\b|\bhello[,?.!]* *(?:are you |anyone |anybody |is anyone |is anybody |is somebody )?there\b", "checks we are there"),
    _cue(PERSON, 3, r"\bwhat was that\b|\bcome again\b|\bsay that again\b|\byou cut out\b|\bbreaking up\b|\brepeat that\b", "asks us to repeat"),
    _cue(PERSON, 3, r"(?<!we're )(?<!we are )\bsorry (?:about|for) (?:the |your |that |keeping you on )?(?:long |lengthy )?(?:wait|hold|waiting|delay)\b|(?<!we're )(?<!we are )\bsorry to keep you (?:waiting|on hold)\b|\bsorry for keeping you\b|\bapologi[sz]e for the wait\b|\bsorry about that\b|\bsorry,? i was\b", "apologises"),
    _cue(PERSON, 3, r"\b(?:i'm|im|i am) (?:back|still here|listening|with you now)\b|\b(?:i'm|im|i am) here[.!?,]*$", "says they are back"),
    _cue(PERSON, 3, r"\b(?:i|i've|i have|i just|i went ahead and|we've|we can|i can) (?:found|checked|spoke|talked|looked|pulled|updated|gone ahead|went ahead|confirmed|waived|processed|submitted|verified|see your|see the|see that|see it|got (?:it|your|the|that|you)|have your)\b|\bi do see\b|\bi (?:did|just|have) (?:speak|spoke|talk|talked|check|checked|look|looked)\b|\b(?:looks like|it looks like|i'm looking at|i'm pulling up|i pulled up) (?:your|the|it|that|a|an|you|here|we)\b|\bi(?:'ve| have) (?:that|it|you|your|got (?:it|your|the|that|you))\b|\b(?:found|got) it\b|\bhere it is\b", "reports what they did"),
    _cue(PERSON, 2, r"\b(?:um|uh|uhm|erm|mhm|mm-hmm|uh-huh)\b", "fillers"),
    _cue(PERSON, 2, r"(?:^|[.!?,] )(?:okay|ok|alright|all right|so|yeah|yes|right),? (?:so|thanks|thank you|i|let's|what|um|uh|got it|sorry|great|perfect|you|and|the|your|it's|it|yep|yeah|yes)\b", "a conversational turn"),
    _cue(PERSON, 3, r"[a-z0-9], (?:right|correct|yeah|yes|okay)\?$", "asks us to confirm"),
    _cue(PERSON, 3, r"(?<!me )(?<!i'll )(?<!i )(?<!and )\bgo ahead\b", "'go ahead'"),
    _cue(PERSON, 1, r"\b(?:i'm|i am|i'll|i can|i will|let me|i just|i need|i (?:really |truly )?appreciate)\b", "speaks as 'I'"),
    _cue(PERSON, 2, r"\bwe (?:do|did) (?:have|see|show)\b|\bwe(?:'ve| have) got (?:you|your|a|an|the|that|it)\b", "speaks for their team"),
    _cue(PERSON, 2, r"\b(?:she|he|they) (?:said|says|told me|can|wants|approved)\b|\bmy (?:manager|supervisor|lead|colleague|coworker)\b", "talks about a colleague"),
    _cue(PERSON, 2, r"\bthis is (?:he|she|him|her)\b|\bspeaking\.?$", "answers the phone"),
)

# Lines that are a person on their own: a bare hello, a department, a go-ahead.
_ANSWER_WORDS = (
    r"(?:hello+|hi|hey|hi there|hello there|good (?:morning|afternoon|evening)|yes|yeah|yep|go ahead|speaking|"
    r"billing|reservations|front desk|front counter|counter|pharmacy|customer service|customer care|support|claims|"
    r"accounts|sales|service|parts|scheduling|appointments|admissions|records|nurse line|dispatch|help desk|"
    r"payroll|accounting|shipping|returns|receiving|shop|kitchen|lab|imaging|triage|intake|"
    r"(?:[\w']+ ){0,2}(?:department|office|desk))"
)
# "Front desk, this is Marco." / "Clerk's office, Dana speaking": a line answered with a department.
_DEPARTMENT_OPENER = re.compile(
    r"^(?:[\w']+ ){0,3}?(?:front desk|desk|department|office|billing|reservations|pharmacy|claims|records|"
    r"customer service|customer care|support|scheduling|appointments|admissions|dispatch|help desk|service desk)[,.!]"
)
_BARE_ANSWER = re.compile(
    rf"^(?:(?:yes|yeah|hi|oh|um|uh|sorry)[,.]? )?{_ANSWER_WORDS}(?:[?.!,]*\s+(?:{_ANSWER_WORDS}|how can i help(?: you)?))*[?.!,]*$"
)
# Said alone, these are as often a lyric as a person; "Hello?" is not among them.
_WEAK_ALONE = frozenset(
    {"hi", "hey", "hello", "yes", "yeah", "yep", "oh", "ok", "okay", "there", "service", "sales", "parts", "support"}
)
_GREETING_WORDS = frozenset({"hi", "hey", "hello"})
_GREETING_OPENER = re.compile(r"^(?:(?:yes|yeah|oh|um|uh|sorry)[,.]? ){0,2}(?:hi|hiya|hello|hey|howdy|yello|good (?:morning|afternoon|evening))\b")
# "Good morning, Riverside Dental." / "uh hello, Polar Peak,": a greeting, then only a name
# (recordings go on: "Hello, you've reached...", "Hi, thanks for calling...").
_GREETING_THEN_BUSINESS = re.compile(
    r"^(?:(?i:yes|yeah|oh|um|uh)[,.]? ){0,2}(?i:hi|hello|hey|good (?:morning|afternoon|evening)|yeah|yes|yep),\s+"
    # two or more words of a name ("Hello, Dolly!", "Hi, Mom.", "Yes, I Do." are not businesses)
    r"(?!(?:I|Welcome|Thanks|Thank)\b)[A-Z][\w'&\-]*(?:\s+(?:[A-Z][\w'&\-]*|of|the|and|&))*\s+[A-Z][\w'&\-]*\s*[,.]?$"
)
# "Thank you for holding." and nothing else: a queue's opener, or a person's; undecided alone.
_THANKS_ONLY = re.compile(
    r"^(?:(?:thank you|thanks)(?: so much)? for (?:your )?(?:continued )?(?:patience|patients|holding|folding|hoarding|waiting)[.!,]? ?)+$"
)
# Music and noise: one or two distinct words said over and over ("yeah yeah", "na na na").
_CHANT = re.compile(r"^(\w+)(?:[ ,.!]+\1)+[ .!?]*$|^(\w+) (\w+)(?:[ ,.!]+\2 \3)+[ .!?]*$")
# "this is X", "my name is X" (the phrase in any case; the name's case is checked later).
_NAME_INTRO = re.compile(
    r"(?i:\b(this is|my name is|my name's|name is|you're speaking with|you are speaking with|speaking with|"
    r"you're on with|you are on with|you've got|i'm|it's))\s+((?i:mr|mrs|ms|miss|dr|doctor|nurse|officer|agent)\.?\s+)?([A-Za-z][A-Za-z'\-]*)"
    r"(\s+[A-Z][A-Za-z'\-]*)?(\s*[,.!?]|\s+\w+|\s*$)"
)
_NAME_SPEAKING = re.compile(r"(?:^|[,.]\s*)([A-Za-z][A-Za-z'\-]*)\s+(?:speaking|here)\b")
# "Parts department, Gary.": a department, then just a name.
_DEPARTMENT_THEN_NAME = re.compile(
    r"^(?i:(?:[\w']+ ){0,3}?(?:desk|department|office|counter|billing|reservations|pharmacy|claims|records|support|"
    r"service|dispatch|scheduling))[,.]\s+([A-Za-z][A-Za-z'\-]*)[.!]?$"
)
_AFTER_NAME = frozenset({"with", "from", "in", "at", "on", "speaking", "here", "how", "what", "and", "over", "calling", "your"})
_NOT_NAMES = frozenset(
    ["a", "an", "the", "to", "not", "our", "your", "my", "it", "that", "what", "why", "how", "for", "because", "being", "only", "just", "important", "urgent", "regarding", "about", "in", "on", "at", "no", "all", "also", "automated", "recorded", "reminder", "message", "call", "calling", "office", "line", "number", "department", "team", "service", "services", "customer", "customers", "company", "center", "centre", "bank", "insurance", "hotel", "clinic", "hospital", "pharmacy", "store", "support", "billing", "claims", "sales", "hold", "holding", "closed", "open", "available", "unavailable", "currently", "please", "thank", "thanks", "welcome", "sorry", "here", "there", "correct", "right", "wrong", "fine", "great", "good", "ok", "okay", "yes", "yeah", "done", "ready", "me", "him", "her", "them", "us", "you", "we", "they", "he", "she", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "back", "still", "so", "glad", "happy", "going", "sure", "afraid", "calling", "looking", "having", "trying", "unable", "either", "out", "away", "gonna", "going", "just", "really", "alright", "over", "gone", "time", "now", "late", "true", "real", "coming", "on"]
)
# "Financial aid, this is Kwami.": the classic way a phone is answered.
_ANSWERED_AS = re.compile(
    r"(?:^|, )(?!(?:hi|hello|hey|good (?:morning|afternoon|evening)|you'?ve reached|you have reached)\b)[A-Za-z][\w'&\- ]{1,40},? this is (?!(?:the|a|an|my|our|your|it|what|how|why|not|just|so|really|about|for)\b)[a-z]"
    r"|^[A-Za-z][\w'&\- ]{1,40}, (?:how|what) (?:can|may) (?:i|we) (?:help|assist|do for)",
    re.IGNORECASE,
)
_DEPARTMENT = re.compile(
    r"\b(?:with|from|in|at) (?:the )?(?:\w+ ){0,3}(?:services|department|team|desk|office|support|billing|claims|"
    r"reservations|care|accounts|scheduling|pharmacy|sales|service)\b"
)
_MACHINE_VOICE = re.compile(r"\b(?:we|we're|we'll|our|us|callers?|customers?|your call)\b")
_PERSON_VOICE = re.compile(r"\b(?:i|i'm|i'll|i've|me|my)\b")
_WORDS = re.compile(r"[a-z0-9']+")

# Score margins and thresholds.
DECIDE = 3  # the least a label needs to be the verdict (hold needs 2)
PERSON_MARGIN = 2  # a person must beat hold language by this much
SILENCE_SECONDS = 15  # first words after this long a silence lean towards a person
QUEUE_UNMISTAKABLE = 7  # hold vocabulary that moves a call even with a person on the line
LOW_CONFIDENCE = 0.6  # a final the transcriber is this unsure of is likely music or noise
CONFIDENT = 0.75  # ...and this sure of is likely speech
MUSIC_CEILING = 0.7  # the most confidence music usually gets
NOISE_NEIGHBOURHOOD_SECONDS = 20
UNMISTAKABLE = 7  # an interim may decide only with this much person evidence (a name and an offer to help) and no machine cue
REPEAT_SIMILARITY = 0.75
HOLD_SETTLING_SECONDS = 8  # after a person asks us to hold, their last words are not a return
# A queue that plays inside a personal hold starts its loop early; a thank-you we have not
# heard before, this long into the hold, is the person coming back.
LOOP_STARTS_WITHIN_SECONDS = 60
MAX_REMEMBERED = 40


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    actionable: bool
    reason: str
    scores: dict[str, int]
    hold_request: bool = False
    repeat: bool = False
    # Sounded like music or noise (no cue, a chant, low confidence).
    noise: bool = False
    # "One moment" / "hang on": a hold only if what follows is music or silence.
    soft_hold: bool = False


def judge(
    text: str,
    state: CallState,
    *,
    is_final: bool = True,
    confidence: float | None = None,
    at: datetime | None = None,
    memory: DetectorMemory | None = None,
    person_seen: bool = False,
    on_hold_for: float | None = None,
) -> Judgement:
    """Classify one transcript and say whether it should move a call in `state`.

    `person_seen`: a representative already spoke with us on this call.
    `on_hold_for`: seconds since this hold began (a person who just asked us to hold is
    often still finishing their sentence: "okay, thank you").
    """
    memory = memory or DetectorMemory()
    line = normalise(text)
    words = _WORDS.findall(line)
    if _is_chant(line, words):
        return Judgement(OTHER, False, "music or noise", {}, noise=True)
    evidence = _score(text, line, words)
    scores, reasons = evidence.scores, evidence.reasons
    machine_cues = scores[HOLD] + scores[MENU] + scores[VOICEMAIL] + scores[CLOSED] + scores[OTHER]
    silent_before = (
        memory.last_speech_at is not None
        and at is not None
        and (at - memory.last_speech_at).total_seconds() >= SILENCE_SECONDS
    )
    fragment = "fragment" in evidence.tags
    # Not for two words that do not greet ("Oh, yeah." after a quiet stretch of music).
    substantial = len(words) >= 3 or "identity" in evidence.tags
    if silent_before and substantial and len(words) <= 8 and machine_cues == 0 and scores[PERSON] >= 2 and not fragment:
        _add(scores, reasons, PERSON, 1, "first words after a silence")
    low_confidence = confidence is not None and confidence < LOW_CONFIDENCE
    formatted = is_formatted(text)
    if low_confidence and scores[PERSON] < UNMISTAKABLE:
        scores[PERSON] = min(scores[PERSON], 1)  # likely music or noise transcribed as words
        reasons[PERSON].append("low confidence")
    # Right after music: the last thing heard was noise, a moment ago.
    near_noise = (
        memory.last_noise_at is not None
        and memory.last_noise_at == memory.last_speech_at
        and at is not None
        and (at - memory.last_noise_at).total_seconds() < NOISE_NEIGHBOURHOOD_SECONDS
    )
    murky = state is CallState.HOLD and not person_seen and confidence is not None and confidence < MUSIC_CEILING
    if murky and scores[PERSON] >= DECIDE and not evidence.tags & {"department", "name"}:
        # Music reaches this confidence; a person picking up usually comes through clearer,
        # or says who they are.
        scores[PERSON] = DECIDE - 1
        reasons[PERSON].append("not clear enough to be sure it is a person")
    # Neither a confidence nor smart formatting: nothing tells a person from a lyric but the
    # words, and lyrics are full of "hello", "can you hear me", "are you there". Only what
    # people say and songs do not (a name, a department, a question about our call) counts.
    bare = state is CallState.HOLD and not person_seen and confidence is None and not formatted
    businesslike = evidence.tags & {"department", "name"} or any(reason in reasons[PERSON] for reason in _BUSINESSLIKE)
    if bare and scores[PERSON] >= DECIDE and not businesslike:
        scores[PERSON] = DECIDE - 1
        reasons[PERSON].append("no confidence or formatting to tell it from a lyric")
    # Without a confidence there is no evidence either way (Telnyx normally sends one).
    unsure = confidence is not None and confidence < CONFIDENT
    short = len(words) <= 4 and not evidence.tags & {"department", "name"}
    if near_noise and unsure and short and scores[PERSON] >= DECIDE and not person_seen:
        # A short "Hello?" or "Are you there?" right among music fragments may be a lyric;
        # when the transcriber is not sure of it either, the next words will tell.
        scores[PERSON] = DECIDE - 1
        reasons[PERSON].append("short, right after music")

    repeat = _is_repeat(line, memory.heard)
    verdict, reason = _decide(scores, reasons)
    soft_only = "soft_hold" in evidence.tags and "hold_request" not in evidence.tags and scores[HOLD] <= 2
    if verdict is HOLD and soft_only and state is not CallState.REPRESENTATIVE:
        # "One moment while I look that up" from a menu or a queue is not a hold by itself;
        # from a person we are talking to, it may be (the machine waits for what follows).
        verdict, reason = OTHER, "not decisive: " + "; ".join(reasons[HOLD])
    if state is CallState.REPRESENTATIVE and "hold_request" in evidence.tags and verdict is not HOLD:
        # The person on the line asking us to hold is decisive, however chatty the sentence.
        verdict, reason = HOLD, "; ".join(reasons[HOLD])
    if repeat and verdict in (PERSON, OTHER, HOLD):
        verdict = HOLD if state is not CallState.IVR else (OTHER if verdict is PERSON else verdict)
        reason = "repeats a recording this call already heard"
    elif state is CallState.HOLD and person_seen and _sounds_like_return(
        line, words, scores, on_hold_for, formatted=formatted, confidence=confidence
    ):
        verdict, reason = PERSON, "the representative is back"

    actionable = _actionable(verdict, state, evidence)
    if not is_final and actionable:
        # A name and a question or an offer to help, and nothing a machine would say.
        actionable = (
            verdict is PERSON
            and scores[PERSON] >= UNMISTAKABLE
            and "name" in evidence.tags
            and any(r in reasons[PERSON] for r in ("offers to help", "asks us something", "asks how we are"))
            and machine_cues == 0
            and not repeat
        )
    noise = verdict is OTHER and (low_confidence or not any(scores.values()) or fragment)
    return Judgement(
        verdict,
        actionable,
        reason,
        {str(k): v for k, v in scores.items() if v},
        "hold_request" in evidence.tags,
        repeat,
        noise,
        "soft_hold" in evidence.tags and "hold_request" not in evidence.tags,
    )


def remember(memory: DetectorMemory, text: str, judgement: Judgement, at: datetime | None) -> DetectorMemory:
    """The memory after hearing this final line (pure: returns a new memory)."""
    heard = list(memory.heard)
    fingerprint = normalise(text)
    if judgement.verdict is not Verdict.HUMAN and fingerprint and fingerprint not in heard:
        heard = [*heard, fingerprint][-MAX_REMEMBERED:]
    noise = judgement.verdict is Verdict.OTHER and judgement.noise
    return DetectorMemory(
        heard=heard,
        last_speech_at=at or memory.last_speech_at,
        last_noise_at=(at or memory.last_noise_at) if noise else memory.last_noise_at,
    )


def is_formatted(text: str) -> bool:
    """Smart-formatted by the transcriber: punctuation, or a capital other than the pronoun
    "I" (alone or in "I'll", "I'm": lyrics come out with those too)."""
    return re.search(r"[.,?!]", text) is not None or re.search(r"[A-Z](?=[A-Za-z])|[A-HJ-Z]", text) is not None


def normalise(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").lower().split())


# --- scoring -------------------------------------------------------------------------------


def _add(scores: dict[Verdict, int], reasons: dict[Verdict, list[str]], label: Verdict, weight: int, why: str) -> None:
    scores[label] += weight
    reasons[label].append(why)


@dataclass
class _Evidence:
    scores: dict[Verdict, int]
    reasons: dict[Verdict, list[str]]
    tags: set[str]
    promo: int  # the part of the hold score that is only promotion ("did you know...")


def _score(text: str, line: str, words: list[str]) -> _Evidence:
    scores = {label: 0 for label in Verdict}
    reasons: dict[Verdict, list[str]] = {label: [] for label in Verdict}
    tags: set[str] = set()
    promo = 0
    for cue in CUES:
        if cue.pattern.search(line):
            if cue.label is PERSON and cue.why == "fillers" and len(words) < 3:
                continue  # "hmm" alone is as likely music as a person
            _add(scores, reasons, cue.label, cue.weight, cue.why)
            if cue.tag:
                tags.add(cue.tag)
            if cue.tag == "promo":
                promo += cue.weight
    name_weight = _name_weight(text)
    if name_weight:
        _add(scores, reasons, PERSON, name_weight, "a person introduces themselves")
        tags.add("identity")
    formatted = is_formatted(text)
    if _BARE_ANSWER.match(line) and not name_weight:
        greeting_only = all(word in _WEAK_ALONE for word in words)
        greets = bool(_GREETING_WORDS & set(words))
        if greeting_only and len(words) <= 2:
            tags.add("bare greeting")
        if "?" in line:
            _add(scores, reasons, PERSON, DECIDE + 1, "a bare hello, asked")
            tags.add("identity")
        elif greeting_only:
            # "hello", "oh yeah", "hi there": lyrics say these too. Smart-formatted speech of
            # two words that greet ("Yeah, hi.") is a person; "Hello." or "Oh, yeah." is not enough.
            weight = (DECIDE if len(words) > 1 and greets else 2) if formatted else 1
            _add(scores, reasons, PERSON, weight, "a bare greeting")
            if weight >= DECIDE:
                tags.add("identity")
        else:
            _add(scores, reasons, PERSON, DECIDE + 1, "answers with a department or a go-ahead")
            tags.update({"identity", "department"})
    elif _DEPARTMENT_OPENER.match(line) or _ANSWERED_AS.search(text):
        _add(scores, reasons, PERSON, 2, "answers with a department")
        tags.add("identity")
    elif _GREETING_THEN_BUSINESS.match(text.strip()):
        _add(scores, reasons, PERSON, 4, "answers with the business name")
        tags.add("identity")
    elif _GREETING_OPENER.match(line):
        _add(scores, reasons, PERSON, 2, "opens with a greeting")
        tags.add("identity")
    if _THANKS_ONLY.match(line):
        _add(scores, reasons, HOLD, 1, "a thank-you for holding and nothing else")
    if name_weight and _DEPARTMENT.search(line):
        _add(scores, reasons, PERSON, 2, "names their department")
    if name_weight:
        tags.add("name")
    team_talk = "speaks for their team" in reasons[PERSON]
    if _MACHINE_VOICE.search(line) and not _PERSON_VOICE.search(line) and scores[PERSON] and not team_talk:
        _add(scores, reasons, PERSON, -1, "speaks as 'we' to 'callers'")
    if len(words) <= 4 and not formatted and "department" not in tags:
        # A short lower-case fragment with no punctuation is how music comes out of the
        # transcriber; real speech is smart-formatted.
        tags.add("fragment")
        if scores[PERSON] > 0:
            _add(scores, reasons, PERSON, -2, "an unformatted fragment")
    if scores[PERSON] > DECIDE - 1 and len(words) <= 2 and "identity" not in tags:
        scores[PERSON] = DECIDE - 1
        reasons[PERSON].append("too short to be sure")
    if "automated" in tags and scores[PERSON]:
        reasons[PERSON].append("but it says it is automated")
        scores[PERSON] = 0
    return _Evidence(scores, reasons, tags, promo)


def _is_chant(line: str, words: list[str]) -> bool:
    """Music rendered as words: the same one or two words over and over ("yeah yeah")."""
    if not words or set(words) == {"hello"}:
        return False
    return _CHANT.match(line) is not None or (len(words) >= 3 and len(set(words)) <= 2)


def _name_weight(text: str) -> int:
    """4 for a known first name (or a title and a name), 2 for another plausible name, else 0."""
    best = 0
    for match in _NAME_INTRO.finditer(text.replace("\u2019", "'")):
        phrase, title, token, surname, after = match.groups()
        casual = phrase.lower() in ("i'm", "it's")  # "it's alright", "i'm sorry": weak intros
        following = after.strip().lower()
        if title:
            best = max(best, 4 if token[:1].isupper() or token.lower() in FIRST_NAMES else 2)
            continue
        score = _name_score(token)
        if following and following[0].isalpha() and following not in _AFTER_NAME and not surname:
            # "this is Acme Bank", "this is a reminder": only a known first name survives it.
            score = 4 if token.lower() in FIRST_NAMES and token[:1].isupper() else 0
        elif not token[:1].isupper() and token.lower() not in FIRST_NAMES:
            # lower-case transcript: an unknown word counts only before "with/from/in ..." or
            # at the very end ("... this is dee")
            plausible = (following in _AFTER_NAME or not following) and token.lower() not in _NOT_NAMES
            score = 2 if plausible and not casual else 0
        best = max(best, score)
    for match in _NAME_SPEAKING.finditer(text):
        best = max(best, _name_score(match.group(1)))
    after_department = _DEPARTMENT_THEN_NAME.match(text.strip())
    if after_department:
        best = max(best, _name_score(after_department.group(1)))
    return best


def _name_score(token: str) -> int:
    lowered = token.lower().strip("'")
    if lowered in _NOT_NAMES:
        return 0
    if lowered in FIRST_NAMES:
        return 4
    return 2 if token[:1].isupper() and len(token) > 1 else 0


def _decide(scores: dict[Verdict, int], reasons: dict[Verdict, list[str]]) -> tuple[Verdict, str]:
    hold, person, menu = scores[HOLD], scores[PERSON], scores[MENU]
    voicemail, closed = scores[VOICEMAIL], scores[CLOSED]

    def because(label: Verdict) -> str:
        return "; ".join(reasons[label])

    if closed >= 5 and closed >= max(hold, person):
        return CLOSED, because(CLOSED)  # "we're closed ... press 2 to leave a message" is closed
    if voicemail >= DECIDE and voicemail >= max(hold, person, menu, closed):
        return VOICEMAIL, because(VOICEMAIL)
    if closed >= DECIDE and closed >= max(hold, person, menu):
        return CLOSED, because(CLOSED)
    if person >= DECIDE and person >= hold + PERSON_MARGIN and person > menu:
        return PERSON, because(PERSON)
    if menu >= DECIDE and menu >= hold:
        return MENU, because(MENU)
    if scores[OTHER] >= 2 and scores[OTHER] >= hold:
        return OTHER, because(OTHER)
    if hold >= 2 and hold >= person:
        return HOLD, because(HOLD)
    if menu >= 2 and menu > person:
        return MENU, because(MENU)
    if scores[OTHER] >= 2:
        return OTHER, because(OTHER)
    if hold or person or menu:
        return OTHER, "not decisive: " + "; ".join(r for label in (HOLD, PERSON, MENU) for r in reasons[label])
    return OTHER, "no cue"


# Questions and offers that belong to a business call, not to a song.
_BUSINESSLIKE = ("offers to help", "asks us something", "asks about our call", "asks how we are", "answers with a department or a go-ahead")

# A person engaging with us: asking, offering, answering briefly.
_ENGAGING = (
    *_BUSINESSLIKE,
    "checks we are there",
    "asks us to repeat",
    "a bare hello, asked",
    "'go ahead'",
    "spells something out",
    "asks us a question",
    "answers the phone",
    "answers with a department",
    "answers with the business name",
)


def _actionable(verdict: Verdict, state: CallState, evidence: _Evidence) -> bool:
    if state is CallState.IVR:
        if verdict is HOLD:
            # Menus advertise too ("for faster service, visit..."): promotion alone is not a queue.
            return evidence.scores[HOLD] - evidence.promo >= 2
        if verdict is PERSON:
            # Conversational menus ask questions too ("What are you calling about?"); a person
            # answering the line directly greets us, or names themselves or their department.
            # And a person engages: they ask, offer, or answer briefly. "Hi, this is Sharon
            # from billing." and nothing more is how a voicemail greeting begins.
            engaged = any(reason in evidence.reasons[PERSON] for reason in _ENGAGING)
            return evidence.scores[PERSON] >= DECIDE + 1 and "identity" in evidence.tags and engaged
        return verdict in (VOICEMAIL, CLOSED)
    if state is CallState.HOLD:
        if verdict is PERSON and evidence.scores[VOICEMAIL]:
            # "Hi, it's Marcus. Can't grab the phone right now." after a transfer: wait for
            # what follows, unless they engage with us.
            return any(reason in evidence.reasons[PERSON] for reason in _ENGAGING)
        return verdict in (PERSON, VOICEMAIL, CLOSED)
    if state is CallState.REPRESENTATIVE:
        # A person on the line talks about waits and holds; only a request (or a queue
        # speaking unmistakably) puts us back on hold.
        return verdict is HOLD and ("hold_request" in evidence.tags or evidence.scores[HOLD] >= QUEUE_UNMISTAKABLE)
    return False


def _sounds_like_return(
    line: str,
    words: list[str],
    scores: dict[Verdict, int],
    on_hold_for: float | None,
    formatted: bool,
    confidence: float | None,
) -> bool:
    """A representative back from their own hold: a thank-you, or a real sentence of theirs
    with no machine vocabulary (music comes out short, unformatted or unsure). In the first
    seconds, only an unmistakable return counts. Repeats never get here: a line this call
    already heard is the queue."""
    settling = on_hold_for is not None and on_hold_for < HOLD_SETTLING_SECONDS
    if settling:
        return scores[PERSON] >= DECIDE + 1 and scores[HOLD] < 2
    # "Okay, thanks for holding." is them; a bare "Thank you for holding." may be the queue
    # system the company plays during a personal hold too, which speaks early in the hold.
    low_confidence = confidence is not None and confidence < LOW_CONFIDENCE
    opened = re.sub(r"^(?:okay|ok|alright|all right|so|hi|hello|yes|yeah),? ", "", line)
    if _THANKS_ONLY.match(opened) and not low_confidence:
        # A trade-off, not a law: a queue whose first thank-you comes later than this is
        # taken for the person once (and sent back to hold when it repeats, see machine).
        return opened != line or (on_hold_for is not None and on_hold_for >= LOOP_STARTS_WITHIN_SECONDS)
    machine_free = scores[HOLD] < 2 and scores[MENU] == scores[VOICEMAIL] == scores[CLOSED] == 0
    if not machine_free or low_confidence:
        return False
    if len(words) < 2 and "?" not in line:
        # "Yeah." alone is as likely the radio, unless the transcriber is sure it heard a word
        # said to us ("Hello?" is them either way).
        sure = confidence is not None and confidence >= CONFIDENT
        return bool(words) and words[0] in _ACKNOWLEDGEMENTS and formatted and sure
    # "I" or a question to us: recordings address callers too ("if your flight was
    # cancelled, you may have been rebooked"), but do not speak as "I" or wait for an answer.
    speaks_as_person = _PERSON_VOICE.search(line) is not None or re.search(r"\byou\b[^.!]*\?", line) is not None
    return scores[PERSON] >= 2 or (formatted and len(words) >= 3 and speaks_as_person and not _MACHINE_VOICE.search(line))


_ACKNOWLEDGEMENTS = frozenset({"yeah", "yes", "yep", "okay", "ok", "alright", "hello", "hi", "hey", "sorry"})


def _is_repeat(line: str, heard: list[str]) -> bool:
    """Heard before on this call: the same line, nearly the same, or a piece of an earlier
    announcement (recordings are often split into several transcripts)."""
    if not line or not heard:
        return False
    words = _WORDS.findall(line)
    if len(words) < 3:
        return line in heard
    as_text = " ".join(words)
    unique = set(words)
    for previous in heard:
        earlier_words = _WORDS.findall(previous)
        if as_text in " ".join(earlier_words):
            return True
        earlier = set(earlier_words)
        if len(unique) >= 4 and len(earlier) >= 4 and len(unique & earlier) / len(unique | earlier) >= REPEAT_SIMILARITY:
            return True
    return False
