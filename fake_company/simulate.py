"""A whole call without a phone: the fake company, Telnyx and the assistants on loopback.

    .venv/bin/python -m fake_company.simulate --scenario willow-creek
    .venv/bin/python -m fake_company.simulate --scenario all --calls 3 --duplicates 0.1 --reorder 0.1
    .venv/bin/python -m fake_company.simulate --scenario path/to/my-company.toml --json

It starts a stand-in for the Telnyx Call Control API on a free loopback port and, unless
`--agent-url` names a running service, starts hold-agent itself (`python app.py`) in real
mode, pointed at the stand-in, with a fresh Ed25519 key so webhook signatures are verified
for real, and API and tool tokens. It places each call through `POST /calls/outbound`, plays
the company and the assistants, and prints a report per call. The exit code is 1 when any
call fails, 2 when the simulation could not run.

With `--agent-url`, start the service with the environment `--print-env` prints (same
`--telnyx-port`): it must use this stand-in, its key and tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import random
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from nacl.signing import SigningKey

from .company import Record
from .processes import AgentProcess, free_port
from .report import CallReport, judge_call, render
from .scenario import Scenario, ScenarioError, load, shipped, slug
from .simulated_call import AssistantIds, CallLog, SimulatedCall, ToolClient
from .telnyx_api import TelnyxStandIn
from .webhook_delivery import DeliveryStats, Unreliability, WebhookDelivery

ASSISTANTS = AssistantIds(ivr="assistant-ivr", representative="assistant-rep")
# A fixed key and tokens for --agent-url / --print-env: loopback testing only, never production.
_FIXED_SEED = b"hold-agent simulator, not secret"
SESSION_SETTLE_SECONDS = 10.0  # real seconds to wait for the service to record the end


@dataclass(frozen=True)
class Secrets:
    telnyx_api_key: str
    api_token: str
    tool_token: str
    signing_key: SigningKey

    @classmethod
    def generate(cls) -> Secrets:
        return cls(secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(16), SigningKey.generate())

    @classmethod
    def fixed(cls) -> Secrets:
        return cls("simulator-telnyx-key", "simulator-api-token", "simulator-tool-token", SigningKey(_FIXED_SEED))

    def agent_env(self, telnyx_port: int, concurrent_calls: int) -> dict[str, str]:
        public_key = base64.b64encode(bytes(self.signing_key.verify_key)).decode()
        return {
            "TELNYX_DRY_RUN": "false",
            "TELNYX_API_KEY": self.telnyx_api_key,
            "TELNYX_API_BASE": f"http://127.0.0.1:{telnyx_port}/v2",
            "TELNYX_CONNECTION_ID": "simulator-connection",
            "TELNYX_FROM_NUMBER": "+15550000100",
            "TELNYX_IVR_ASSISTANT_ID": ASSISTANTS.ivr,
            "TELNYX_REPRESENTATIVE_ASSISTANT_ID": ASSISTANTS.representative,
            "TELNYX_PUBLIC_KEY": public_key,
            "API_AUTH_TOKEN": self.api_token,
            "TOOL_AUTH_TOKEN": self.tool_token,
            "MAX_CONCURRENT_CALLS": str(max(10, concurrent_calls)),
            "MAX_CALLS_PER_MINUTE": str(max(60, concurrent_calls * 2)),
        }


@dataclass(frozen=True)
class Options:
    scenarios: list[tuple[str, Scenario]]
    calls: int
    speed: float
    talk_speed: float
    unreliability: Unreliability
    seed: int
    timeout: float
    agent_url: str | None
    telnyx_port: int


class Simulator:
    """The stand-in, the service, and every call in flight."""

    def __init__(self, options: Options, keys: Secrets) -> None:
        self.options = options
        self.keys = keys
        self.standin = TelnyxStandIn(keys.telnyx_api_key)
        self.standin.listeners.append(self._on_command)
        self._calls: dict[str, SimulatedCall] = {}

    def _on_command(self, action: str, call_control_id: str, body: dict[str, Any]) -> None:
        call = self._calls.get(call_control_id)
        if call is not None:
            call.on_command(action, body)

    async def run(self) -> list[CallReport]:
        options = self.options
        config = uvicorn.Config(
            self.standin.app, host="127.0.0.1", port=options.telnyx_port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if serving.done():
                    raise RuntimeError(f"the Telnyx stand-in could not listen on port {options.telnyx_port}")
                await asyncio.sleep(0.02)
            async with self._service() as agent_url:
                limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
                async with httpx.AsyncClient(base_url=agent_url, timeout=30, limits=limits) as client:
                    jobs = [
                        self._one_call(client, name, scenario, number, options.seed + index)
                        for index, (name, scenario, number) in enumerate(
                            (name, scenario, number)
                            for name, scenario in options.scenarios
                            for number in range(1, options.calls + 1)
                        )
                    ]
                    return list(await asyncio.gather(*jobs))
        finally:
            server.should_exit = True
            await serving

    @contextlib.asynccontextmanager
    async def _service(self) -> Any:
        if self.options.agent_url:
            yield self.options.agent_url.rstrip("/")
            return
        concurrent = self.options.calls * len(self.options.scenarios)
        agent = AgentProcess(self.keys.agent_env(self.options.telnyx_port, concurrent), public=True)
        await asyncio.to_thread(agent.__enter__)
        try:
            yield agent.url
        finally:
            await asyncio.to_thread(agent.__exit__, None, None, None)

    async def _one_call(
        self, client: httpx.AsyncClient, name: str, scenario: Scenario, number: int, seed: int
    ) -> CallReport:
        started = time.monotonic()
        api = {"authorization": f"Bearer {self.keys.api_token}"}
        request = {
            "to": scenario.call.to,
            "objective": scenario.call.objective,
            "target_company": scenario.company,
            "context": scenario.call.context,
        }
        response = await client.post("/calls/outbound", json=request, headers=api)
        if response.status_code != 201:
            return self._not_placed(name, scenario, number, f"POST /calls/outbound: {response.status_code} {response.text[:200]}")
        created = response.json()
        call_control_id = created["call_control_id"]
        dial = self.standin.calls[call_control_id].dial_body
        delivery = WebhookDelivery(client, self.keys.signing_key, self.options.unreliability, random.Random(seed))
        call = SimulatedCall(
            scenario,
            call_control_id,
            dial,
            delivery,
            ToolClient(client, self.keys.tool_token, call_control_id),
            ASSISTANTS,
            self.options.speed,
            self.options.talk_speed,
            seed,
            self.standin.hang_up,
        )
        self._calls[call_control_id] = call
        problems: list[str] = []
        record: Record | None
        try:
            record = await asyncio.wait_for(call.play(), self.options.timeout)
        except TimeoutError:
            problems.append(f"still going after {self.options.timeout:g} s of real time; the company hung up")
            await call.abandon()
            record = call.company.record
        session = await _settled_session(client, created["session_id"], api)
        if session is None:
            problems.append("could not read the session")
        elif session["state"] != "ended":
            problems.append(f"the session is still {session['state']} after the call ended")
        return judge_call(
            name, scenario, number, session, record, call.log, delivery.stats,
            call.now(), time.monotonic() - started, problems,
        )

    @staticmethod
    def _not_placed(name: str, scenario: Scenario, number: int, why: str) -> CallReport:
        return judge_call(name, scenario, number, None, None, CallLog(), DeliveryStats(), 0.0, 0.0, [why])


async def _settled_session(client: httpx.AsyncClient, session_id: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The session once the service has recorded the end (webhooks may still be in flight)."""
    deadline = time.monotonic() + SESSION_SETTLE_SECONDS
    session = None
    while True:
        response = await client.get(f"/sessions/{session_id}", headers=headers)
        if response.status_code == 200:
            session = response.json()
            if session["state"] == "ended":
                return session
        if time.monotonic() > deadline:
            return session
        await asyncio.sleep(0.05)


# --- command line ------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fake_company.simulate",
        description="Run whole calls against fake companies on loopback: Telnyx, the company and the assistants simulated.",
    )
    parser.add_argument("--scenario", default="willow-creek", help=f"a shipped scenario ({', '.join(shipped())}), a TOML file, or 'all'")
    parser.add_argument("--calls", type=int, default=1, help="calls of each scenario, all at once (default 1)")
    parser.add_argument("--speed", type=float, default=100.0, help="company seconds per real second while on hold (default 100)")
    parser.add_argument("--talk-speed", type=float, default=8.0,
                        help="company seconds per real second while anyone talks or waits for an answer (default 8, at most --speed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--agent-url", help="a running hold-agent to test instead of starting one (see --print-env)")
    parser.add_argument("--telnyx-port", type=int, default=0, help="port for the Telnyx stand-in (default: a free one)")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of webhooks delivered twice (default 0.05)")
    parser.add_argument("--reorder", type=float, default=0.05, help="share of webhooks overtaken by the next (default 0.05)")
    parser.add_argument("--seed", type=int, default=1, help="seed for everything random (default 1)")
    parser.add_argument("--timeout", type=float, default=300.0, help="real seconds a call may take (default 300)")
    parser.add_argument("--print-env", action="store_true", help="print the environment a service started for --agent-url needs, and exit")
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    for pace in ("speed", "talk_speed"):
        if not 0 < getattr(args, pace) <= 1000:
            parser.error(f"--{pace.replace('_', '-')} must be above 0 and at most 1000")
    for rate in ("duplicates", "reorder"):
        if not 0 <= getattr(args, rate) <= 1:
            parser.error(f"--{rate} must be between 0 and 1")
    if (args.agent_url or args.print_env) and not args.telnyx_port:
        parser.error("--agent-url and --print-env need a fixed --telnyx-port (the service must know where Telnyx is)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    keys = Secrets.fixed() if (args.agent_url or args.print_env) else Secrets.generate()
    if args.print_env:
        for name, value in keys.agent_env(args.telnyx_port, args.calls).items():
            print(f"{name}={value}")
        return 0
    try:
        names = shipped() if args.scenario == "all" else [args.scenario]
        scenarios = [(slug(name), load(name)) for name in names]
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    options = Options(
        scenarios=scenarios,
        calls=args.calls,
        speed=args.speed,
        talk_speed=args.talk_speed,
        unreliability=Unreliability(args.duplicates, args.reorder),
        seed=args.seed,
        timeout=args.timeout,
        agent_url=args.agent_url,
        telnyx_port=args.telnyx_port or free_port(),
    )
    try:
        reports = asyncio.run(Simulator(options, keys).run())
    except (RuntimeError, OSError, httpx.HTTPError) as error:
        print(f"error: the simulation could not run: {error}", file=sys.stderr)
        return 2
    passed = sum(report.passed for report in reports)
    if args.json:
        print(json.dumps({
            "passed": passed,
            "failed": len(reports) - passed,
            "speed": args.speed,
            "calls": [report.as_dict() for report in reports],
        }, indent=2))
    else:
        for report in reports:
            print(render(report))
            print()
        print(f"{passed} of {len(reports)} call(s) passed")
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main())
