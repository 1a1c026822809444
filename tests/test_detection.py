"""Detection, line by line: pure text (and the call's memory) in, verdict out.

The labelled corpus in tests/corpus/ measures detection as a whole (test_corpus.py); these
cases pin down each hard case by name, so a regression says which one broke.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hold_agent.detection import Verdict, judge, remember
from hold_agent.session import CallState, DetectorMemory

HOLD, PERSON, IVR, VOICEMAIL, CLOSED, OTHER = (
    Verdict.HOLD, Verdict.HUMAN, Verdict.IVR, Verdict.VOICEMAIL, Verdict.CLOSED, Verdict.OTHER,
)
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

LINES: list[tuple[str, Verdict]] = [
    # hold announcements, including the ones that open like a greeting
    ("Please hold, your call is important to us.", HOLD),
    ("Thank you for holding. All of our representatives are still assisting other callers.", HOLD),
    ("Thanks for your patience, your call will be answered in the order it was received.", HOLD),
    ("Hi there! Thanks for calling Sunrise Health. All of our care coordinators are currently helping other patients.", HOLD),
    ("Thank you for holding.", HOLD),
    ("Thanks for your patience. The estimated wait time is 5 minutes.", HOLD),
    ("You are number 3 in the queue.", HOLD),
    ("Please stay on the line and the next available agent will be with you shortly.", HOLD),
    ("Did you know you can also pay your bill online at acme dot com?", HOLD),
    ("Press 1 to keep your place in line and we'll call you back.", HOLD),
    ("Please hold while I transfer your call.", HOLD),
    ("Let me put you on hold for a moment.", HOLD),
    ("thanks for holding were still helping other customers please dont hang up", HOLD),
    ("Thank you for calling Cascade Express Bus Lines. All agents are busy.", HOLD),
    ("For faster service, please have your loan number and the last four digits of your social security number ready.", HOLD),
    ("Thanks so much for waiting, we'll be with you in just a moment.", HOLD),
    # a person, including those who say almost nothing
    ("Thanks for holding, this is Sarah with reservations.", PERSON),
    ("Hi, my name is Marcus, how can I help you today?", PERSON),
    ("Good afternoon, you've reached the reservations line, my name is Jasmine, how may I assist you?", PERSON),
    ("Billing department, Dana speaking.", PERSON),
    ("Yeah hi, you're on with Marcus.", PERSON),
    ("Hello?", PERSON),
    ("Hello? Hello?", PERSON),
    ("Hi, sorry about the wait.", PERSON),
    ("Front desk.", PERSON),
    ("Hello, thank you for holding, how can I help you?", PERSON),
    ("Sorry about the wait, who am I speaking with?", PERSON),
    ("hey sorry about that wait this is kevin", PERSON),
    ("This is Mrs. Patterson in the front office.", PERSON),
    ("Okay, thanks for holding. I found a room for Friday.", PERSON),
    ("Uh, yeah, hi. Sorry, I was on the other line.", PERSON),
    # machines that sound polite
    ("For reservations, press 1. For the front desk, press 2.", IVR),
    ("In a few words, tell me how I can help you.", IVR),
    ("Before I transfer you, please say your account number.", IVR),
    ("Hi, I'm Ava, Crestline Bank's virtual assistant. What can I help you with today?", IVR),
    ("Para español, oprima dos.", IVR),
    ("Please say or enter your date of birth.", IVR),
    ("Please say the name of the community you live in.", IVR),
    ("I can help with things like checking an order status or finding a store location. What can I help you with?", IVR),
    # nobody will answer
    ("Please leave a message after the tone.", VOICEMAIL),
    ("Hi, this is Sandra. I'm out of the office until Monday. Please leave a detailed message.", VOICEMAIL),
    ("The person you are trying to reach is not available. At the tone, please record your message.", VOICEMAIL),
    ("The mailbox you are trying to reach is full and cannot accept any messages at this time.", VOICEMAIL),
    ("You've reached the estimates department. We're out on job sites right now, so leave us your name and number.", VOICEMAIL),
    ("Our office is currently closed.", CLOSED),
    ("Due to inclement weather, our office will be closed today.", CLOSED),
    ("You have reached us outside of our normal business hours. Please call back during business hours.", CLOSED),
    # notices and noise
    ("This call may be recorded for quality assurance.", OTHER),
    ("This is a reminder that calls may be recorded.", OTHER),
    ("yeah yeah", OTHER),
    ("hey hey hey", OTHER),
    ("hmm", OTHER),
    ("", OTHER),
]


@pytest.mark.parametrize(("text", "verdict"), LINES)
def test_lines(text: str, verdict: Verdict) -> None:
    assert judge(text, CallState.HOLD).verdict is verdict


def test_recordings_that_say_this_is_are_not_names() -> None:
    for text in ("This is an automated message.", "This is the Willow Creek Hotel.", "This is not a valid option."):
        assert judge(text, CallState.HOLD).verdict is not PERSON, text


def test_state_decides_what_is_actionable() -> None:
    hold = "Please hold, your call is important to us."
    person = "Hi, this is Sarah with reservations."
    assert judge(hold, CallState.IVR).actionable
    assert judge(hold, CallState.REPRESENTATIVE).actionable  # "please hold" from a person
    assert not judge(hold, CallState.HOLD).actionable  # already there
    assert not judge(hold, CallState.DIALING).actionable
    assert judge(person, CallState.HOLD).actionable
    # In the menu stage a person answering the line engages ("how can I help?"); an
    # introduction alone is how a voicemail greeting begins, so it waits for what follows.
    assert not judge(person, CallState.IVR).actionable
    assert judge("Reservations, this is Sarah, how can I help?", CallState.IVR).actionable
    assert judge("Good morning, Riverside Dental, this is Alicia speaking.", CallState.IVR).actionable
    assert not judge(person, CallState.REPRESENTATIVE).actionable
    assert judge("Please leave a message after the tone.", CallState.IVR).actionable
    assert judge("Our office is currently closed.", CallState.HOLD).actionable


def test_a_person_talking_about_waits_does_not_put_us_on_hold() -> None:
    talk = "The estimated wait time for a refund is about five days."
    assert judge(talk, CallState.REPRESENTATIVE).verdict is HOLD
    assert not judge(talk, CallState.REPRESENTATIVE).actionable
    assert judge("Can you hold for just a second?", CallState.REPRESENTATIVE).actionable


def test_promotion_alone_does_not_mean_hold_in_a_menu() -> None:
    promo = "For faster service, visit us online at state dmv dot gov."
    assert judge(promo, CallState.IVR).verdict is HOLD
    assert not judge(promo, CallState.IVR).actionable


def test_a_repeat_is_a_recording_whatever_it_says() -> None:
    line = "Hi, this is Sarah from the Acme support line, thanks for holding."
    first = judge(line, CallState.HOLD)
    assert first.verdict is PERSON  # alone, it sounds like a person...
    memory = remember(DetectorMemory(), "Thanks for holding, this is the Acme support line.", judge("x", CallState.HOLD), T0)
    memory = remember(memory, line, judge("Please hold.", CallState.HOLD), T0)
    again = judge(line, CallState.HOLD, memory=memory)
    assert again.verdict is HOLD and again.repeat and not again.actionable


def test_interim_results_decide_only_when_unmistakable() -> None:
    assert not judge("hi this is sarah", CallState.HOLD, is_final=False).actionable
    assert not judge("thank you for holding this is", CallState.HOLD, is_final=False).actionable
    assert not judge("Hi, I'm Ava, Crestline", CallState.IVR, is_final=False).actionable
    assert judge("hi this is sarah with billing how can i help you", CallState.HOLD, is_final=False).actionable


def test_a_representative_back_from_their_own_hold() -> None:
    back = ("Okay, thanks for holding.", "Alright, I'm back.", "Okay so I checked and it's ready.", "So we do have Thursday open.")
    for text in back:
        judgement = judge(text, CallState.HOLD, person_seen=True)
        assert judgement.verdict is PERSON and judgement.actionable, text
    # Companies play their queue system inside a personal hold too: a bare thank-you, "your
    # engineer will be back with you", and lyrics with a capital "I'll" are not them.
    not_back = (
        "yeah yeah", "i'll be there", "la la la", "and I'll be there for you", "Thank you for holding.",
        "Your Parallax support engineer will be back with you shortly.",
    )
    for text in not_back:
        assert not judge(text, CallState.HOLD, person_seen=True).actionable, text


def test_a_thank_you_is_them_only_once_the_queue_loop_would_have_started() -> None:
    # A queue inside a personal hold says its thank-you early, then repeats it; a thank-you
    # first heard minutes in is the person.
    thanks = "Thank you so much for waiting."
    assert not judge(thanks, CallState.HOLD, person_seen=True, on_hold_for=20).actionable
    assert judge(thanks, CallState.HOLD, person_seen=True, on_hold_for=150).verdict is PERSON
    heard = remember(DetectorMemory(), thanks, judge(thanks, CallState.HOLD, person_seen=True, on_hold_for=20), T0)
    assert not judge(thanks, CallState.HOLD, person_seen=True, on_hold_for=150, memory=heard).actionable


def test_a_confident_word_is_them_back_but_music_is_not() -> None:
    assert judge("Yeah.", CallState.HOLD, person_seen=True, on_hold_for=90, confidence=0.9).actionable
    assert not judge("Yeah.", CallState.HOLD, person_seen=True, on_hold_for=90, confidence=0.5).actionable
    assert not judge("Yeah.", CallState.HOLD, person_seen=True, on_hold_for=90).actionable
    assert not judge("Dancing.", CallState.HOLD, person_seen=True, on_hold_for=90, confidence=0.9).actionable


def test_a_recording_addressed_to_you_is_not_a_return() -> None:
    announcement = "If your flight was canceled, you may have already been rebooked automatically."
    assert not judge(announcement, CallState.HOLD, person_seen=True, on_hold_for=90, confidence=0.9).actionable
    assert judge("So you're all set for Thursday, does that work?", CallState.HOLD, person_seen=True, on_hold_for=90).actionable


def test_answering_the_phone_with_the_company_name_in_the_menu_stage() -> None:
    for text in ("Tri-County Appliance, this is Rob.", "Smith & Sons, this is Dana."):
        assert judge(text, CallState.IVR).actionable, text
    # ...but a name and a department and nothing more is how voicemail greetings begin.
    assert not judge("Hi, this is Sharon from billing.", CallState.IVR).actionable


def test_a_greeting_then_the_business_name_answers_the_phone() -> None:
    for text in ("Good morning, Riverside Dental.", "uh hello, Polar Peak,", "Hello, Smith & Sons Plumbing.", "Yeah, Hollister Tractor."):
        assert judge(text, CallState.IVR).actionable, text
        assert judge(text, CallState.HOLD).actionable, text
    not_an_answer = (
        "Hello, you've reached Riverside Dental.", "Hi, thanks for calling Polar Peak.", "Hello, darkness my old friend",
        "Yeah, Baby.", "Hello. Welcome.", "Hey Jude.", "Hello, Dolly!", "Good Morning, Vietnam!", "Hi, Mom.",
        "Hello, I Love You", "Yes, I Do.", "Hello, you've reached Acme Plumbing, this is Dan.", "Okay so this is the thing.",
    )
    for text in not_an_answer:
        assert not judge(text, CallState.IVR).actionable, text
    for text in not_an_answer[:-2]:
        assert not judge(text, CallState.HOLD).actionable, text


def test_two_words_after_a_quiet_stretch_are_not_a_person_unless_they_greet() -> None:
    memory = DetectorMemory(last_speech_at=T0)
    later = T0 + timedelta(seconds=40)
    assert not judge("Oh, yeah.", CallState.HOLD, at=later, memory=memory).actionable
    assert judge("Yeah, hi.", CallState.HOLD, at=later, memory=memory).actionable


def test_with_no_confidence_and_no_formatting_only_business_words_count_on_hold() -> None:
    lyric = "hello can you hear me calling"
    assert not judge(lyric, CallState.HOLD).actionable
    assert judge(lyric, CallState.HOLD, confidence=0.93).actionable  # the transcriber was sure
    assert judge("hi this is dana with billing", CallState.HOLD).actionable
    assert judge("uh yeah hi who am i talking to", CallState.HOLD).actionable


def test_a_person_mentioning_messages_closures_or_other_lines_does_not_end_the_call() -> None:
    for text in (
        "Yeah, he's out on a job right now, can I help?",
        "Sorry, I had someone on the other line.",
        "Hi, sorry, I was just on the other line.",
        "She stepped out. Can you leave me your number?",
        "Yeah, the office will be closed tomorrow.",
        "Sure, I can help you with things like that.",
        "Please say that again?",
    ):
        for state in (CallState.IVR, CallState.HOLD):
            judgement = judge(text, state)
            assert judgement.verdict not in (VOICEMAIL, CLOSED, IVR) or not judgement.actionable, (text, state)


def test_an_unsure_thank_you_is_not_a_return() -> None:
    assert not judge("Thank you for holding.", CallState.HOLD, person_seen=True, on_hold_for=90, confidence=0.35).actionable


def test_a_hello_among_music_waits_only_when_the_transcriber_is_unsure() -> None:
    memory = DetectorMemory(last_speech_at=T0, last_noise_at=T0)
    soon = T0 + timedelta(seconds=3)
    # 0.72: above the music ceiling, below sure; only the right-after-music rule holds it back.
    assert not judge("Hello?", CallState.HOLD, at=soon, memory=memory, confidence=0.72).actionable
    assert judge("Hello?", CallState.HOLD, at=soon + timedelta(seconds=60), memory=memory, confidence=0.72).actionable
    assert judge("Hello?", CallState.HOLD, at=soon, memory=memory).actionable
    assert judge("Hello?", CallState.HOLD, at=soon, memory=memory, confidence=0.9).actionable


def test_first_words_after_a_long_silence_lean_to_a_person() -> None:
    memory = DetectorMemory(last_speech_at=T0)
    short = "Yes, hi there, can you hear"
    assert judge(short, CallState.HOLD, at=T0 + timedelta(seconds=60), memory=memory).scores["human"] > (
        judge(short, CallState.HOLD, at=T0 + timedelta(seconds=5), memory=memory).scores["human"]
    )


def test_low_confidence_speech_is_not_taken_for_a_person() -> None:
    assert judge("Hello? Hello?", CallState.HOLD, confidence=0.95).actionable
    assert not judge("hi there", CallState.HOLD, confidence=0.2).actionable


def test_judgement_explains_itself() -> None:
    judgement = judge("Thank you for holding. All of our representatives are busy.", CallState.IVR)
    assert judgement.verdict is HOLD
    assert "busy" in judgement.reason
    assert judgement.scores["hold"] > judgement.scores.get("human", 0)
