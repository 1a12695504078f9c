"""The status callback's delivery policy with real processes: retry while the receiver is down, then
deliver once when it is back; past the cap, the API (REST and GraphQL) says the callback failed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

from app.local_stack import LocalStack, local_stack
from app.walkthrough import open_account, poll, sign_in
from backing_services.local_processes import free_port, running

CALLBACK_STATE = """query($account: String!, $sid: String!) {
  message(accountSid: $account, sid: $sid) { statusCallbackStatus statusCallbackError }
}"""


async def send_with_callback(api: httpx.AsyncClient, callback_url: str) -> tuple[Any, ...]:
    """Sign up, open an account and send one message whose status callback goes to `callback_url`."""
    auth = await sign_in(api, "customer")
    account, number = await open_account(api, auth)
    sent = await api.post(
        f"/2010-04-01/Accounts/{account}/Messages.json",
        data={"To": "+15558675310", "From": number, "Body": "hi", "StatusCallback": callback_url},
        headers=auth,
    )
    assert sent.status_code == 201, sent.text
    return auth, f"/2010-04-01/Accounts/{account}/Messages/{sent.json()['sid']}.json", account


async def callback_state(api: httpx.AsyncClient, auth: dict[str, str], url: str) -> dict[str, Any]:
    return dict((await api.get(url, headers=auth)).json())


async def wait_for_callback_status(
    api: httpx.AsyncClient, auth: dict[str, str], url: str, wanted: str
) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        message = await callback_state(api, auth, url)
        return message if message.get("status_callback_status") == wanted else None

    return await poll(f"status_callback_status {wanted!r}", reached, timeout_s=60)


def test_a_receiver_that_is_down_then_back_gets_the_callback_once_and_the_api_says_delivered(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: a refused connection is retried with backoff; once the receiver listens, the callback
    # arrives exactly once and the message's callback status goes retrying → delivered.
    port = free_port()
    callback_url = f"http://127.0.0.1:{port}/status-callbacks"
    patient = {
        "QUEUE_DEMO_CALLBACK_MAX_ATTEMPTS": "60",
        "QUEUE_DEMO_CALLBACK_BACKOFF_BASE_S": "0.2",
        "QUEUE_DEMO_CALLBACK_BACKOFF_CAP_S": "0.5",
    }
    with local_stack(redis_url, database_url, tmp_path, extra_env=patient) as stack:

        async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=20) as api:
                auth, url, _ = await send_with_callback(api, callback_url)
                down = await wait_for_callback_status(api, auth, url, "retrying")
                with receiver_on(stack, port, tmp_path):
                    back = await wait_for_callback_status(api, auth, url, "delivered")
                    got = (await api.get(callback_url)).json()
                return down, back, got

        down, back, received = asyncio.run(scenario())

    assert "ConnectError" in down["status_callback_error"], down
    assert back["status_callback_error"] is None
    assert [item["params"]["MessageSid"] for item in received] == [back["sid"]]


def receiver_on(
    stack: LocalStack, port: int, log_dir: Path
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """The customer's receiver, started late on the port the callback URL names."""
    return running(
        [sys.executable, "-m", "app.webhook_receiver"],
        port=port,
        name="late receiver",
        env={**stack.env, "HOST": "127.0.0.1", "PORT": str(port)},
        log_path=log_dir / "late-receiver.log",
    )


def test_a_callback_past_its_attempt_cap_is_shown_failed_with_its_last_error_in_rest_and_graphql(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: after the cap, the callback is given up and recorded as failed, visible to the sender.
    callback_url = f"http://127.0.0.1:{free_port()}/status-callbacks"  # nobody listens there
    capped = {"QUEUE_DEMO_CALLBACK_MAX_ATTEMPTS": "3", "QUEUE_DEMO_CALLBACK_BACKOFF_BASE_S": "0.05"}
    with local_stack(redis_url, database_url, tmp_path, extra_env=capped) as stack:

        async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=20) as api:
                auth, url, account = await send_with_callback(api, callback_url)
                rest = await wait_for_callback_status(api, auth, url, "failed")
                answer = await api.post(
                    "/graphql",
                    json={
                        "query": CALLBACK_STATE,
                        "variables": {"account": account, "sid": rest["sid"]},
                    },
                    headers=auth,
                )
                return rest, answer.json()["data"]["message"]

        rest, graphql = asyncio.run(scenario())

    assert rest["status"] == "delivered"  # the message went out; only its callback failed
    assert rest["status_callback_error"].startswith("gave up after 3 attempt(s): ")
    assert "ConnectError" in rest["status_callback_error"]
    assert graphql == {
        "statusCallbackStatus": "failed",
        "statusCallbackError": rest["status_callback_error"],
    }
