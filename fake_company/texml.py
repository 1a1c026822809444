"""A tiny TeXML writer. ElementTree does the escaping, so any text is safe to put in."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

VOICE = "female"
LANGUAGE = "en-US"


class TeXML:
    """Build a `<Response>` verb by verb; `render()` returns the XML document."""

    def __init__(self) -> None:
        self.root = Element("Response")

    def say(self, text: str, parent: Element | None = None) -> TeXML:
        SubElement(parent if parent is not None else self.root, "Say", voice=VOICE, language=LANGUAGE).text = text
        return self

    def pause(self, seconds: int) -> TeXML:
        # TeXML accepts 1-180 seconds per Pause.
        SubElement(self.root, "Pause", length=str(max(1, min(180, int(seconds)))))
        return self

    def gather(
        self,
        action: str,
        prompt: str,
        *,
        input: str = "dtmf",
        num_digits: int = 1,
        timeout: int = 6,
        valid_digits: str | None = None,
        finish_on_key: str | None = None,
    ) -> TeXML:
        attributes = {"action": action, "method": "POST", "input": input, "timeout": str(timeout)}
        if "dtmf" in input:
            attributes["numDigits"] = str(num_digits)
        if valid_digits:
            attributes["validDigits"] = valid_digits
        if finish_on_key:
            attributes["finishOnKey"] = finish_on_key
        gather = SubElement(self.root, "Gather", attributes)
        self.say(prompt, parent=gather)
        return self

    def redirect(self, url: str) -> TeXML:
        SubElement(self.root, "Redirect", method="POST").text = url
        return self

    def hangup(self) -> TeXML:
        SubElement(self.root, "Hangup")
        return self

    def render(self) -> str:
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(self.root, encoding="unicode")
