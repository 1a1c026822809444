"""The scripted IVR and representative assistants the simulator plays."""

from __future__ import annotations

from typing import Any

import pytest

from fake_company.assistants import (
    EndCall,
    PressKeys,
    ReportHold,
    Speak,
    approved_details,
    ivr_reaction,
    representative_reaction,
)

pytestmark = pytest.mark.anyio


BANK = {"account_number": "4012-3377", "cardholder": "Alex Morgan", "charge_amount": "89.99"}


@pytest.mark.parametrize(
    ("heard", "objective", "key"),
    [
        ("For reservations, press 1. For the front desk, press 2.", "book a hotel reservation for Friday night", "1"),
        ("For reservations, press 1. For the front desk, press 2.", "ask the front desk about parking", "2"),
        (
            "For claims, press 1. For billing and payments, press 2. For roadside assistance, press 3.",
            "get an update on an existing auto claim",
            "1",
        ),
        (
            "Claims. To report a new claim, press 1. For an update on an existing claim, press 2. To return to the main menu, press star.",
            "get an update on an existing auto claim",
            "2",
        ),
        ("To return to the main menu, press star. For claims, press 1.", "go back to the main menu", "*"),
        ("Press 1 for sales. Press 2 for cancellations.", "cancel my subscription", "2"),
        ("For sales, press 1. To speak with a representative, press 0.", "cancel my subscription", "0"),
        ("For sales, dial 4.", "talk about sales", "4"),
    ],
)
def test_the_ivr_assistant_presses_the_option_matching_the_objective(heard: str, objective: str, key: str) -> None:
    action = ivr_reaction(heard, objective, {}, set())
    assert isinstance(action, PressKeys)
    assert action.digits == key


def test_the_ivr_assistant_presses_nothing_when_no_option_fits() -> None:
    assert ivr_reaction("For sales, press 1. For returns, press 2.", "book a hotel room", {}, set()) is None


def test_the_ivr_assistant_matches_bill_with_billing() -> None:
    action = ivr_reaction(
        "For technical support, press 1. For billing, press 2.", "a question about my bill", {}, set()
    )
    assert action == PressKeys("2", "menu option: billing")


@pytest.mark.parametrize(
    ("heard", "digits"),
    [
        ("Please enter your account number followed by the pound key.", "40123377#"),
        ("Please key in your account number, then press hash.", "40123377#"),
        ("Please enter your account number.", "40123377"),
        ("Say or enter your account number", "40123377"),
    ],
)
def test_the_ivr_assistant_keys_the_field_it_is_asked_for(heard: str, digits: str) -> None:
    done: set[str] = set()
    action = ivr_reaction(heard, "dispute a charge", BANK, done)
    assert isinstance(action, PressKeys) and action.digits == digits
    assert "account number" in action.reason
    assert done == set()


def test_the_ivr_assistant_keys_the_best_matching_field() -> None:
    details = {"policy_number": "AC4471920", "claim_number": "55812"}
    action = ivr_reaction("Please enter the claim number followed by pound.", "claim update", details, set())
    assert action == PressKeys("55812#", "claim number asked for")


def test_a_transfer_prompt_asking_for_a_number_is_a_menu_not_a_hold() -> None:
    done: set[str] = set()
    action = ivr_reaction(
        "Before I transfer you, please enter your account number followed by pound", "dispute a charge", BANK, done
    )
    assert action == PressKeys("40123377#", "account number asked for")
    assert "hold" not in done
    # ... and a real hold afterwards is still reported.
    assert isinstance(ivr_reaction("Please hold while I transfer you.", "dispute a charge", BANK, done), ReportHold)


def test_the_ivr_assistant_answers_a_conversational_prompt_once_with_the_objective() -> None:
    done: set[str] = set()
    prompt = "Welcome to First Federal Bank. In a few words, tell me why you're calling."
    assert ivr_reaction(prompt, "dispute a duplicate card charge", BANK, done) == Speak(
        "dispute a duplicate card charge"
    )
    assert ivr_reaction(prompt, "dispute a duplicate card charge", BANK, done) is None
    assert ivr_reaction("How can I help you today?", "dispute it", BANK, set()) == Speak("dispute it")


def test_the_ivr_assistant_confirms() -> None:
    assert ivr_reaction("You want to dispute a charge, is that right?", "x", {}, set()) == Speak("Yes.")


@pytest.mark.parametrize(
    "heard",
    [
        "Please hold while we connect you.",
        "Your call is important to us.",
        "The next available agent will be with you shortly.",
        "All of our agents are assisting other callers.",
        "Transferring you now.",
    ],
)
def test_the_ivr_assistant_reports_hold_once(heard: str) -> None:
    done: set[str] = set()
    action = ivr_reaction(heard, "pay my bill", {}, done)
    assert isinstance(action, ReportHold) and heard[:40] in action.reason
    assert ivr_reaction(heard, "pay my bill", {}, done) is None
    assert ivr_reaction("Please hold.", "pay my bill", {}, done) is None


def test_the_ivr_assistant_ignores_small_talk() -> None:
    assert ivr_reaction("This call may be recorded for quality assurance.", "pay my bill", BANK, set()) is None


def start_body(**details: Any) -> dict[str, Any]:
    variables = {
        "objective": "book a hotel reservation for Friday night",
        "target_company": "Willow Creek Hotel",
        "approved_context": "guest_name: Alex Morgan",
        "hold_seconds": 150,
        "hold_minutes": 3,
        "recent_transcript": "...",
        **details,
    }
    return {"assistant": {"id": "assistant-rep", "dynamic_variables": variables}, "greeting": "Hi!"}


def test_approved_details_leave_out_hold_agents_own_variables() -> None:
    assert approved_details(start_body(guest_name="Alex Morgan", party_size=2)) == {
        "guest_name": "Alex Morgan",
        "party_size": 2,
    }
    assert approved_details({}) == {}


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Sure, I can help with that. What name should I put the reservation under?", "It's Alex Morgan."),
        ("And how many guests will be staying?", "It's 2."),
        ("When would you like to check in?", "It's Friday."),
    ],
)
def test_the_representative_assistant_answers_from_the_dynamic_variables(question: str, answer: str) -> None:
    body = start_body(guest_name="Alex Morgan", party_size=2, check_in_day="Friday")
    assert representative_reaction(question, body) == Speak(answer)


def test_the_representative_assistant_does_not_invent_or_leak() -> None:
    body = start_body(guest_name="Alex Morgan")
    assert representative_reaction("What's your date of birth?", body) == Speak(
        "I'm sorry, I don't have that information."
    )
    # hold_seconds is hold-agent's, not an approved detail.
    assert representative_reaction("How many seconds were you on hold?", body) == Speak(
        "I'm sorry, I don't have that information."
    )


@pytest.mark.parametrize(
    "heard",
    ["Okay, let me put you on hold for a moment.", "Can you hold for a second?", "Bear with me.", "One moment please."],
)
def test_the_representative_assistant_agrees_to_hold(heard: str) -> None:
    assert representative_reaction(heard, start_body()) == Speak("Sure, I'll hold.")


@pytest.mark.parametrize(
    "heard",
    [
        "You're all set for Friday night. Is there anything else I can help you with?",
        "Okay, that claim has been approved. Anything else?",
        "Alright, take care.",
        "Okay, goodbye.",
        "Have a good day!",
    ],
)
def test_the_representative_assistant_ends_the_call_on_wrap_up(heard: str) -> None:
    assert isinstance(representative_reaction(heard, start_body()), EndCall)


@pytest.mark.parametrize(
    "heard",
    ["Thanks for holding, I'm looking that up now.", "The payment goes out Friday.", "la la la", "Let me check."],
)
def test_the_representative_assistant_lets_statements_pass(heard: str) -> None:
    assert representative_reaction(heard, start_body(guest_name="Alex Morgan")) is None
