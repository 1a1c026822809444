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
import contextlib
import json
import random
import secrets
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from nacl.signing import SigningKey

from hold_agent.errors import HoldAgentError
from hold_agent.telnyx.signing import public_key_b64

from .processes import AgentProcess
from .report import CallReport, judge_call, render
from .scenario import Scenario, ScenarioError, load, shipped, slug
from .simulated_call import AssistantIds, CallLog, SimulatedCall, ToolClient
from .telnyx_api import Faults, TelnyxStandIn
from .webhook_delivery import WEBHOOK_PATH, DeliveryStats, Unreliability, WebhookDelivery

ASSISTANTS = AssistantIds(ivr="assistant-ivr", representative="assistant-rep")
# A fixed key and tokens for --agent-url / --print-env: loopback testing only, never production.
_FIXED_SEED = b"hold-agent simulator, not secret"
SESSION_SETTLE_SECONDS = 10.0  # real seconds to wait for the service to record the end
AGENT_LOG_TAIL = 40  # lines of the service's log shown when a call fails


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
        return {
            "TELNYX_DRY_RUN": "false",
            "TELNYX_API_KEY": self.telnyx_api_key,
            "TELNYX_API_BASE": f"http://127.0.0.1:{telnyx_port}/v2",
            "TELNYX_CONNECTION_ID": "simulator-connection",
            "TELNYX_FROM_NUMBER": "+15550000100",
            "TELNYX_IVR_ASSISTANT_ID": ASSISTANTS.ivr,
            "TELNYX_REPRESENTATIVE_ASSISTANT_ID": ASSISTANTS.representative,
            "TELNYX_PUBLIC_KEY": public_key_b64(self.signing_key),
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
    api_faults: bool = False
    agent_env: dict[str, str] = field(default_factory=dict)


@dataclass
class _Placing:
    """A call being placed: the dial for `to` will be this scenario's."""

    scenario: Scenario
    seed: int
    call: asyncio.Future[SimulatedCall]


class SimulationError(HoldAgentError):
    """The simulation cannot run (not a failed call); the message says why."""


class Simulator:
    """The stand-in, the service, and every call in flight."""

    def __init__(self, options: Options, keys: Secrets) -> None:
        self.options = options
        self.keys = keys
        # --api-faults: the first attempt of every command fails with a 500, as Telnyx may.
        faults = Faults(fail_first_attempt=True) if options.api_faults else None
        self.standin = TelnyxStandIn(keys.telnyx_api_key, faults)
        self.standin.listeners.append(self._on_command)
        self._calls: dict[str, SimulatedCall] = {}
        self._placing: dict[str, _Placing] = {}
        # One dial at a time per number, so each dial is matched to the call that asked for it.
        self._dialling: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None
        self.port = options.telnyx_port
        self.agent_log = ""

    def _on_command(self, action: str, call_control_id: str, body: dict[str, Any], answer: dict[str, Any]) -> None:
        if action == "dial":
            self._dialled(call_control_id, body)
            return
        call = self._calls.get(call_control_id)
        if call is not None:
            call.on_command(action, body, answer)

    def _dialled(self, call_control_id: str, body: dict[str, Any]) -> None:
        placing = self._placing.pop(str(body.get("to")), None)
        if placing is None or placing.call.done() or self._client is None:
            return  # a dial nobody here asked for
        url = body.get("webhook_url") if isinstance(body.get("webhook_url"), str) else None
        delivery = WebhookDelivery(
            self._client,
            self.keys.signing_key,
            self.options.unreliability,
            random.Random(placing.seed),
            url or WEBHOOK_PATH,
        )
        call = SimulatedCall(
            placing.scenario,
            call_control_id,
            body,
            delivery,
            ASSISTANTS,
            self.options.speed,
            self.options.talk_speed,
            placing.seed,
            self.standin.hang_up,
        )
        call.tools = ToolClient(self._client, self.keys.tool_token, call_control_id)
        self._calls[call_control_id] = call
        placing.call.set_result(call)

    async def run(self) -> list[CallReport]:
        options = self.options
        # Bind first, then serve: no window in which another process can take the port.
        listener = socket.socket()
        try:
            listener.bind(("127.0.0.1", options.telnyx_port))
        except OSError as error:
            listener.close()
            raise SimulationError(f"the Telnyx stand-in cannot listen on port {options.telnyx_port}: {error}") from None
        self.port = port = listener.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.standin.app, log_level="warning", lifespan="off"))
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            while not server.started:
                if serving.done():
                    raise SimulationError("the Telnyx stand-in did not start")
                await asyncio.sleep(0.02)
            async with self._service(port) as agent_url:
                limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
                async with httpx.AsyncClient(base_url=agent_url, timeout=30, limits=limits) as client:
                    self._client = client
                    planned = [
                        (name, scenario, number)
                        for name, scenario in options.scenarios
                        for number in range(1, options.calls + 1)
                    ]
                    outcomes = await asyncio.gather(
                        *(
                            self._one_call(client, name, scenario, number, options.seed + index)
                            for index, (name, scenario, number) in enumerate(planned)
                        ),
                        return_exceptions=True,
                    )
            return [
                outcome
                if isinstance(outcome, CallReport)
                else _not_placed(name, scenario, number, f"the simulator failed: {outcome!r}")
                for (name, scenario, number), outcome in zip(planned, outcomes, strict=True)
            ]
        finally:
            server.should_exit = True
            with contextlib.suppress(BaseException):
                await serving
            listener.close()

    @contextlib.asynccontextmanager
    async def _service(self, telnyx_port: int) -> AsyncIterator[str]:
        if self.options.agent_url:
            yield self.options.agent_url.rstrip("/")
            return
        concurrent = self.options.calls * len(self.options.scenarios)
        env = {**self.keys.agent_env(telnyx_port, concurrent), **self.options.agent_env}
        agent = AgentProcess(env, public=True)
        try:
            await asyncio.to_thread(agent.__enter__)
        except RuntimeError as error:
            raise SimulationError(str(error)) from None
        try:
            yield agent.url
        finally:
            await asyncio.to_thread(agent.__exit__, None, None, None)
            self.agent_log = agent.output

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
        placing = _Placing(scenario, seed, asyncio.get_running_loop().create_future())
        async with self._dialling.setdefault(scenario.call.to, asyncio.Lock()):
            self._placing[scenario.call.to] = placing
            try:
                response = await client.post("/calls/outbound", json=request, headers=api)
            finally:
                self._placing.pop(scenario.call.to, None)
        if response.status_code != 201:
            why = f"POST /calls/outbound: {response.status_code} {response.text[:200]}"
            return _not_placed(name, scenario, number, why)
        created = response.json()
        if not placing.call.done():
            why = (
                f"the service answered 201 but never dialled this stand-in (is TELNYX_API_BASE "
                f"http://127.0.0.1:{self.port}/v2 and TELNYX_DRY_RUN=false?)"
            )
            return _not_placed(name, scenario, number, why)
        call = placing.call.result()
        if call.call_control_id != created.get("call_control_id"):
            return _not_placed(name, scenario, number, "the service reported another call_control_id than it dialled")
        record = await call.play(self.options.timeout)
        problems: list[str] = []
        session = await _settled_session(client, created["session_id"], api)
        if session is None:
            problems.append("could not read the session")
        elif session["state"] != "ended":
            problems.append(f"the session is still {session['state']} after the call ended")
        return judge_call(
            name,
            scenario,
            number,
            session,
            record,
            call.log,
            call.delivery_stats,
            call.now(),
            time.monotonic() - started,
            problems,
        )


def _not_placed(name: str, scenario: Scenario, number: int, why: str) -> CallReport:
    return judge_call(name, scenario, number, None, None, CallLog(), DeliveryStats(), 0.0, 0.0, [why])


async def _settled_session(
    client: httpx.AsyncClient, session_id: str, headers: dict[str, str]
) -> dict[str, Any] | None:
    """The session once the service has recorded the end (webhooks may still be in flight)."""
    deadline = time.monotonic() + SESSION_SETTLE_SECONDS
    session = None
    while True:
        response = await client.get(f"/sessions/{session_id}", headers=headers)
        if response.status_code == 200:
            session = response.json()
            if session is not None and session["state"] == "ended":
                return dict(session)
        if time.monotonic() > deadline:
            return session
        await asyncio.sleep(0.05)


# --- command line ------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fake_company.simulate",
        description="Run whole calls against fake companies on loopback: Telnyx, the company and the assistants simulated.",
    )
    add = parser.add_argument
    add(
        "--scenario", default="willow-creek", help=f"a shipped scenario ({', '.join(shipped())}), a TOML file, or 'all'"
    )
    add("--calls", type=int, default=1, help="calls of each scenario, all at once (default 1)")
    add("--speed", type=float, default=100.0, help="company seconds per real second while on hold (default 100)")
    add(
        "--talk-speed",
        type=float,
        default=8.0,
        help="company seconds per real second while anyone talks or waits for an answer (default 8, at most --speed)",
    )
    add("--json", action="store_true", help="print one JSON object instead of text")
    add("--agent-url", help="a running hold-agent to test instead of starting one (see --print-env)")
    add("--telnyx-port", type=int, default=0, help="port for the Telnyx stand-in (default: a free one)")
    add("--duplicates", type=float, default=0.05, help="share of webhooks delivered twice (default 0.05)")
    add("--reorder", type=float, default=0.05, help="share of webhooks overtaken by the next (default 0.05)")
    add("--api-faults", action="store_true", help="the stand-in fails the first attempt of every command with a 500")
    add(
        "--agent-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the service the simulator starts, e.g. START_TRANSCRIPTION_DURING_IVR=false (repeatable)",
    )
    add("--seed", type=int, default=1, help="seed for the random choices: music, confidences, duplicates (default 1)")
    add(
        "--timeout",
        type=float,
        default=300.0,
        help="real seconds a call may take before the company hangs up (default 300)",
    )
    add(
        "--print-env",
        action="store_true",
        help="print the environment a service started for --agent-url needs, and exit",
    )
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    for pace in ("speed", "talk_speed"):
        if not 0 < getattr(args, pace) <= 1000:
            parser.error(f"--{pace.replace('_', '-')} must be above 0 and at most 1000")
    for rate in ("duplicates", "reorder"):
        if not 0 <= getattr(args, rate) <= 1:
            parser.error(f"--{rate} must be between 0 and 1")
    if args.timeout <= 0:
        parser.error("--timeout must be above 0")
    if (args.agent_url or args.print_env) and not args.telnyx_port:
        parser.error("--agent-url and --print-env need a fixed --telnyx-port (the service must know where Telnyx is)")
    if args.agent_url and args.agent_env:
        parser.error("--agent-env sets up the service the simulator starts; with --agent-url, start yours with it")
    args.agent_env = dict(_setting(parser, item) for item in args.agent_env)
    return args


def _setting(parser: argparse.ArgumentParser, item: str) -> tuple[str, str]:
    name, equals, value = item.partition("=")
    if not equals or not name.isidentifier():
        parser.error(f"--agent-env wants NAME=VALUE, not {item!r}")
    return name, value


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    keys = Secrets.fixed() if (args.agent_url or args.print_env) else Secrets.generate()
    try:
        names = shipped() if args.scenario == "all" else [args.scenario]
        scenarios = [(slug(name), load(name)) for name in names]
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.print_env:
        for name, value in keys.agent_env(args.telnyx_port, args.calls * len(scenarios)).items():
            print(f"{name}={value}")
        return 0
    options = Options(
        scenarios=scenarios,
        calls=args.calls,
        speed=args.speed,
        talk_speed=args.talk_speed,
        unreliability=Unreliability(args.duplicates, args.reorder),
        seed=args.seed,
        timeout=args.timeout,
        agent_url=args.agent_url,
        telnyx_port=args.telnyx_port,
        api_faults=args.api_faults,
        agent_env=args.agent_env,
    )
    # Stopped with SIGTERM: unwind as for Ctrl-C, so the service we started is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    simulator = Simulator(options, keys)
    try:
        reports = asyncio.run(simulator.run())
    except (SimulationError, OSError, httpx.HTTPError) as error:
        print(f"error: the simulation could not run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    passed = sum(report.passed for report in reports)
    if args.json:
        print(
            json.dumps(
                {
                    "passed": passed,
                    "failed": len(reports) - passed,
                    "speed": args.speed,
                    "talk_speed": args.talk_speed,
                    "calls": [report.as_dict() for report in reports],
                },
                indent=2,
            )
        )
    else:
        for report in reports:
            print(render(report))
            print()
        print(f"{passed} of {len(reports)} call(s) passed")
    if passed < len(reports) and simulator.agent_log:
        tail = simulator.agent_log.strip().splitlines()[-AGENT_LOG_TAIL:]
        print(f"-- the last {len(tail)} lines of the service's log:", *tail, sep="\n", file=sys.stderr)
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main())
