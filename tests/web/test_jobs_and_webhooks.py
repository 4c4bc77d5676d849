"""The Jobs and Webhooks pages over HTTP, without a browser: a real bulk import held part done by
the job runner, then finished by the server's worker; webhook forms through the webhooks service,
deliveries to a real receiver on loopback, replay; CSRF and tenancy."""

from __future__ import annotations

import base64
import json
import re

from tests.dialects.helpers import wait_job, wms
from tests.support import LiveServer, Trade, make_trade
from tests.web.helpers import create_order, held_job, release_job, sign_in, wait_for, wms_order
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import SECRET, verified

NEW_SECRET = "whsec_" + base64.b64encode(b"a new secret, typed in the form!").decode()


def test_jobs_pages_follow_a_bulk_import(server: LiveServer, trade: Trade) -> None:
    orders = [
        wms_order("BULK-1", ("10", "SKU-A", 2)),
        wms_order("BULK-2", ("10", "SKU-A", 1), ("20", "SKU-B", 0)),  # line 20: quantity 0
        wms_order("BULK-3", ("10", "SKU-C", 1)),
        wms_order("BULK-1", ("10", "SKU-A", 5)),  # the same customerOrderNumber again
        wms_order("BULK-5", ("10", "SKU-D", 4)),
    ]
    job_id = held_job(server, trade.buyer, trade.supplier.id, orders, first=2)
    client, _ = sign_in(server, trade.buyer)

    listing = client.get("/jobs")
    assert listing.status_code == 200
    assert f'href="/jobs/{job_id}"' in listing.text and "Warehouse bulk import" in listing.text
    assert "2 of 5 processed, 1 failed" in listing.text and "Running" in listing.text
    assert trade.supplier.name in listing.text  # the business unit, by name
    # the script follows it; without the script the page refreshes itself
    assert f'data-progress-url="/jobs/{job_id}/progress"' in listing.text
    assert '<noscript><meta http-equiv="refresh"' in listing.text

    progress = client.get(f"/jobs/{job_id}/progress")
    assert progress.status_code == 200 and progress.headers["content-type"] == "application/json"
    assert progress.headers["cache-control"] == "no-store"
    data = progress.json()
    assert data["jobId"] == str(job_id) and data["status"] == "processing" and data["finished"] is False
    assert data["progress"] == {"processed": 2, "total": 5} and data["failed"] == 1
    assert data["bar"] == {"ok": 20.0, "failed": 20.0} and data["label"] == "2 of 5 processed, 1 failed"

    running = client.get(f"/jobs/{job_id}")
    assert running.status_code == 200 and "None so far" not in running.text
    assert "BULK-2" in running.text and "quantity: is required and must be at least 1" in running.text

    release_job(server, job_id)
    wait_for(lambda: client.get(f"/jobs/{job_id}/progress").json()["finished"], "the worker to finish the job")
    done = client.get(f"/jobs/{job_id}")
    assert "Completed with failures" in done.text and "data-progress-url" not in done.text
    assert 'http-equiv="refresh"' not in done.text
    # the failed orders and lines are the warehouse API's own report of the job
    api = wait_job(wms(server, trade.buyer), str(job_id))
    shown = re.findall(r"<td data-label=\"Order\"><strong>([^<]+)</strong>", done.text)
    assert shown == [f["customerOrderNumber"] for f in api["failedOrders"]] == ["BULK-2", "BULK-1"]
    assert "was already submitted" in done.text
    assert re.search(r"Line</span> <strong>20</strong>: quantity: is required", done.text)
    assert client.get(f"/jobs/{job_id}/progress").json()["bar"] == {"ok": 60.0, "failed": 40.0}

    # another company: neither the page, nor its progress, nor a line in the list
    other, _ = sign_in(server, trade.supplier)
    assert other.get(f"/jobs/{job_id}").status_code == 404
    gone = other.get(f"/jobs/{job_id}/progress")
    assert gone.status_code == 404 and gone.json() == {"message": f"No job '{job_id}'"}
    assert f"/jobs/{job_id}" not in other.get("/jobs").text and "No jobs yet" in other.get("/jobs").text
    assert client.get("/jobs/not-a-job").status_code == 404
    assert client.get("/jobs", params={"page": "x"}).status_code == 200


def test_webhook_forms_deliveries_and_replay(server: LiveServer, trade: Trade, receiver: Receiver) -> None:
    client, token = sign_in(server, trade.buyer)
    empty = client.get("/webhooks")
    assert empty.status_code == 200 and "No webhooks yet" in empty.text
    form = {
        "csrf": token,
        "address": f"{receiver.url}/hook",
        "topic": "order.created",
        "secret": SECRET,
        "enabled": "on",
    }

    # CSRF first; then the service's own refusals, next to the boxes they name
    assert client.post("/webhooks", data=form | {"csrf": ""}).status_code == 403
    r = client.post("/webhooks", data=form | {"address": "ftp://example.com/x"})
    assert r.status_code == 422 and re.search(r'id="address"[^>]*aria-invalid="true"', r.text)
    assert "must be an http(s) URL" in r.text and 'value="ftp://example.com/x"' in r.text
    r = client.post("/webhooks", data=form | {"secret": "short"})
    assert r.status_code == 422 and re.search(r'id="secret"[^>]*aria-invalid="true"', r.text)
    # the box keeps what was just typed (so fixing one field does not mean typing the secret again)
    assert 'value="short"' in re.findall(r'id="secret"[^>]*>', r.text)[0]
    r = client.post("/webhooks", data=form | {"address": "ftp://example.com/x"})
    assert f'value="{form["secret"]}"' in re.findall(r'id="secret"[^>]*>', r.text)[0]
    assert trade.buyer.get("/Webhooks").json()["Records"] == []

    r = client.post("/webhooks", data=form)
    assert r.status_code == 303, r.text
    hook_id = int(r.headers["location"].split("/")[2].split("?")[0])
    assert r.headers["location"] == f"/webhooks/{hook_id}?notice=created"
    [api] = trade.buyer.get("/Webhooks").json()["Records"]
    assert (api["Id"], api["Address"], api["Topic"], api["Enabled"]) == (
        hook_id,
        form["address"],
        "order.created",
        True,
    )
    page = client.get(f"/webhooks/{hook_id}?notice=created")
    assert "Webhook created." in page.text and "No deliveries yet." in page.text
    assert f"{receiver.url}/hook" in client.get("/webhooks").text
    # the secret the form set signs deliveries; the pages never show it, not even masked
    assert client.post(f"/webhooks/{hook_id}/test", data={"csrf": token}).status_code == 303
    [test] = receiver.wait("/hook", 1)
    assert verified(test, SECRET) and json.loads(test.body)["type"] == "webhook.test"
    for html in (client.get("/webhooks").text, client.get(f"/webhooks/{hook_id}").text):
        assert SECRET not in html and SECRET[-6:] not in html and api["SharedSecret"] not in html

    # a delivery the receiver refuses (400: final, not retried), then replayed once it is fixed
    receiver.script["/hook"] = [400]
    create_order(trade, "PO-HOOK")

    def delivery_in(state: str) -> dict[str, object] | None:
        records = trade.buyer.get(f"/Webhooks/{hook_id}/Deliveries", params={"state": state}).json()["Records"]
        return next((d for d in records if d["Topic"] == "order.created"), None)

    failed = wait_for(lambda: delivery_in("failed"), "the refused delivery")
    page = client.get(f"/webhooks/{hook_id}").text
    row = page[page.index(f'id="delivery-{failed["Id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "Failed" in row and '<span class="code">400</span>' in row and " ms · " in row
    assert f'name="delivery" value="{failed["Id"]}"' in row and ">Replay</button>" in row
    assert client.get(f"/webhooks/{hook_id}", params={"state": "delivered"}).text.count(">Replay</button>") == 0

    replay = {"csrf": token, "delivery": str(failed["Id"])}
    assert client.post(f"/webhooks/{hook_id}/replay", data=replay | {"csrf": "forged"}).status_code == 403
    receiver.script["/hook"] = [204]
    r = client.post(f"/webhooks/{hook_id}/replay", data=replay)
    assert r.status_code == 303 and r.headers["location"] == f"/webhooks/{hook_id}?notice=replayed"
    wait_for(lambda: delivery_in("delivered"), "the replay")
    page = client.get(f"/webhooks/{hook_id}").text
    row = page[page.index(f'id="delivery-{failed["Id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "Delivered" in row and re.findall(r'<span class="code">(\d+)</span>', row) == ["400", "204"]
    assert ">Replay</button>" not in row

    # replace the secret (it is required here), disable, enable
    r = client.post(f"/webhooks/{hook_id}/secret", data={"csrf": token, "secret": ""})
    assert r.status_code == 422 and "is required" in r.text
    r = client.post(f"/webhooks/{hook_id}/secret", data={"csrf": token, "secret": NEW_SECRET})
    assert r.status_code == 303 and NEW_SECRET not in client.get(f"/webhooks/{hook_id}").text
    assert client.post(f"/webhooks/{hook_id}/test", data={"csrf": token}).status_code == 303
    assert verified(receiver.wait("/hook", 4)[-1], NEW_SECRET)
    r = client.post(f"/webhooks/{hook_id}/enabled", data={"csrf": token, "enabled": "false"})
    assert r.status_code == 303 and r.headers["location"].endswith("notice=disabled")
    assert trade.buyer.get(f"/Webhooks/{hook_id}").json()["Body"]["Enabled"] is False
    assert ">Enable</button>" in client.get(f"/webhooks/{hook_id}").text
    assert client.post(f"/webhooks/{hook_id}/enabled", data={"csrf": token, "enabled": "true"}).status_code == 303
    assert trade.buyer.get(f"/Webhooks/{hook_id}").json()["Body"]["Enabled"] is True

    # delete: CSRF first, then gone
    assert client.post(f"/webhooks/{hook_id}/delete", data={}).status_code == 403
    r = client.post(f"/webhooks/{hook_id}/delete", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/webhooks?notice=deleted"
    assert trade.buyer.get(f"/Webhooks/{hook_id}").status_code == 404
    assert client.get(f"/webhooks/{hook_id}").status_code == 404


def test_another_companys_webhook_is_404(server: LiveServer, trade: Trade) -> None:
    r = trade.buyer.post("/Webhooks", json={"Address": "http://127.0.0.1:9/private", "Topic": "*", "Enabled": False})
    hook_id = r.json()["Body"]["Id"]
    stranger = make_trade(server).buyer
    client, token = sign_in(server, stranger)
    assert client.get(f"/webhooks/{hook_id}").status_code == 404
    assert "127.0.0.1:9/private" not in client.get("/webhooks").text
    for action, data in (
        ("enabled", {"enabled": "true"}),
        ("secret", {"secret": NEW_SECRET}),
        ("test", {}),
        ("replay", {"delivery": "1"}),
        ("delete", {}),
    ):
        r = client.post(f"/webhooks/{hook_id}/{action}", data={"csrf": token} | data)
        assert r.status_code == 404, action
        assert "private" not in r.text
    assert trade.buyer.get(f"/Webhooks/{hook_id}").json()["Body"]["Enabled"] is False
    assert client.get("/webhooks/abc").status_code == 404
    # a delivery id of the owner's own webhook that is not one of its deliveries
    own, own_token = sign_in(server, trade.buyer)
    r = own.post(f"/webhooks/{hook_id}/replay", data={"csrf": own_token, "delivery": "999999999"})
    assert r.status_code == 404
