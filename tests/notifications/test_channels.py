"""Outbound messages through real HTTP receivers on 127.0.0.1: 企业微信 and 钉钉 robots (markdown, 加签), a
webhook (idempotency key), an SMS gateway (template); retries, the rate limit, a hanging receiver, a worker
that died between claiming and sending, and secrets that never come back out of the API."""

import base64
import hashlib
import hmac
import ipaddress
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import unquote_plus

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.core.config import get_settings
from app.core.types import utcnow
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.notifications import delivery as delivery_module
from app.notifications import targets
from app.notifications.models import Delivery
from app.users.models import User
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report
from tests.notifications import receiver as fake

pytestmark = pytest.mark.commits


@pytest.fixture
def rx():
    r = fake.start()
    yield r
    r.close()


@pytest.fixture
def w(client, db):
    unit = make_unit(db, "市容环卫处")
    h = {"inspector": login(client, make_user(db, Role.inspector)),
         "dispatcher": login(client, make_user(db, Role.dispatcher)),
         "admin": login(client, make_user(db, Role.admin)),
         "staff": login(client, make_user(db, Role.unit_staff, unit))}
    return {"unit": unit, "h": h}


def channel(client, w, **body) -> dict:
    r = client.post("/api/notifications/channels", headers=w["h"]["admin"],
                    json={"name": "环卫处工作群", "unit_id": w["unit"].id} | body)
    assert r.status_code == 201, r.text
    return r.json()


def dispatch(client, w, **report_fields) -> dict:
    t = report(client, w["h"]["inspector"], **report_fields)
    r = action(client, w["h"]["dispatcher"], t["id"], "dispatch", unit_id=w["unit"].id)
    assert r.status_code == 200, r.text
    return r.json()


def deliveries(db) -> list[Delivery]:
    db.rollback()  # a fresh snapshot: what the workers committed since …
    db.expire_all()  # … read afresh (no transaction to roll back expires nothing)
    return list(db.exec(select(Delivery).order_by(Delivery.id)).all())


def make_due(db) -> None:
    """Let every waiting delivery run now (instead of waiting out its backoff); reminders keep their time."""
    db.exec(update(Job).where(Job.state == "queued", Job.kind == delivery_module.JOB)
            .values(run_after=utcnow() - timedelta(seconds=1)))
    db.commit()


def test_a_wecom_robot_gets_the_dispatch_as_markdown_with_user_text_neutralised(client, w, db, rx):
    channel(client, w, kind="wecom", url=f"{rx.base}/cgi-bin/webhook/send?key=SECRET-KEY")
    t = dispatch(client, w, address="解放路[点我](http://evil.example)", description="**垃圾**")
    Worker().run_until_idle()
    [got] = rx.received
    assert got.query == {"key": "SECRET-KEY"} and got.body["msgtype"] == "markdown"
    content = got.body["markdown"]["content"]
    assert content.startswith(f"**【新任务】{t['case_number']} 暴露垃圾**")
    assert "> 地点：解放路［点我］（http://evil.example）" in content  # no link of the reporter's making
    assert "> 整改时限：" in content
    [d] = deliveries(db)
    assert (d.state, d.attempts, d.last_error) == ("sent", 1, None) and d.sent_at is not None


def test_user_text_cannot_break_a_robot_message_into_lines_of_its_own(client, w, db, rx):
    """A carriage return is a line break to markdown too: with it, typed text could start a heading (a line of
    "=" under it), a list or a code block of its own in the unit's group chat."""
    channel(client, w, kind="wecom", url=f"{rx.base}/cgi-bin/webhook/send?key=K")
    t = report(client, w["h"]["inspector"], address="解放路\r紧急通知\r===\r- 请立即转账")
    r = action(client, w["h"]["dispatcher"], t["id"], "dispatch", unit_id=w["unit"].id, note="限期\r\n    代码块")
    assert r.status_code == 200, r.text
    Worker().run_until_idle()
    [got] = rx.received
    content = got.body["markdown"]["content"]
    assert "\r" not in content
    lines = content.split("\n")
    assert "> 地点：解放路 紧急通知 === - 请立即转账" in lines
    assert all(line.startswith(("**", "> ")) for line in lines), lines


def test_a_dingtalk_robot_gets_a_valid_signature(client, w, db, rx):
    secret = "SEC" + uuid.uuid4().hex
    channel(client, w, kind="dingtalk", url=f"{rx.base}/robot/send?access_token=TOKEN", secret=secret)
    t = dispatch(client, w)
    before = int(time.time() * 1000)
    Worker().run_until_idle()
    [got] = rx.received
    assert got.query["access_token"] == "TOKEN"
    stamp = got.query["timestamp"]
    assert abs(int(stamp) - before) < 60_000  # 钉钉 refuses a timestamp more than an hour off
    want = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert unquote_plus(got.query["sign"]) == want or got.query["sign"] == want
    assert got.body["markdown"]["title"] == f"【新任务】{t['case_number']}"


def test_a_webhook_retries_after_failures_with_one_idempotency_key(client, w, db, rx):
    channel(client, w, kind="webhook", url=f"{rx.base}/xuncha/events", secret="city-token")
    rx.fail_next = 2
    t = dispatch(client, w)
    worker = Worker()
    for attempt in (1, 2):
        worker.run_until_idle()
        [d] = deliveries(db)
        assert (d.state, d.attempts) == ("queued", attempt) and "500" in d.last_error
        make_due(db)
    worker.run_until_idle()
    [d] = deliveries(db)
    assert (d.state, d.attempts) == ("sent", 3)
    assert len(rx.received) == 3
    keys = {(r.headers["Idempotency-Key"], r.body["id"]) for r in rx.received}
    assert keys == {(d.key, d.key)}  # the receiver can tell the repeats apart
    last = rx.received[-1]
    assert last.headers["Authorization"] == "Bearer city-token"
    assert last.body["kind"] == "dispatched" and last.body["ticket_id"] == t["id"]
    assert last.body["fields"]["case_number"] == t["case_number"]


def test_a_burst_of_100_dispatches_goes_out_20_a_minute_and_nothing_is_dropped(client, w, db, rx):
    channel(client, w, kind="wecom", url=f"{rx.base}/send?key=k", rate_per_minute=20)
    n = 100
    for _ in range(n):
        dispatch(client, w)
    for minute in range(1, 6):
        Worker().run_until_idle()
        states = [d.state for d in deliveries(db)]
        assert states.count("sent") == 20 * minute and states.count("queued") == n - 20 * minute
        assert len(rx.received) == 20 * minute
        waiting = db.exec(select(Job).where(Job.state == "queued", Job.kind == delivery_module.JOB)).all()
        assert len(waiting) == n - 20 * minute
        assert all(j.run_after >= utcnow() + timedelta(seconds=50) for j in waiting)  # when the minute allows
        assert all(j.attempts == 0 for j in waiting)  # a deferral is not a failure
        # A minute later (made so here), the next 20 go out.
        db.exec(update(Delivery).where(Delivery.state == "sent").values(sent_at=utcnow() - timedelta(minutes=2)))
        db.commit()
        make_due(db)
    assert [d.state for d in deliveries(db)] == ["sent"] * n
    assert len({r.body["markdown"]["content"] for r in rx.received}) == n  # each message once


def test_a_hanging_receiver_slows_no_request_and_its_delivery_times_out_for_a_retry(client, w, db, rx, monkeypatch):
    monkeypatch.setattr(delivery_module, "SEND_TIMEOUT_S", 0.5)
    channel(client, w, kind="webhook", url=f"{rx.base}/slow")
    rx.delay_s = 3
    started = time.perf_counter()
    dispatch(client, w)
    assert time.perf_counter() - started < 2  # the request never waits on a receiver
    Worker().run_until_idle()
    [d] = deliveries(db)
    assert d.state == "queued" and "Timeout" in d.last_error


def test_a_worker_killed_between_claim_and_send_leaves_the_message_to_the_next(client, w, db, rx):
    channel(client, w, kind="webhook", url=f"{rx.base}/events")
    dispatch(client, w)
    dead = Worker(lease_seconds=1.0)
    assert dead.claim() is not None  # … and the process dies before it sends anything
    Worker().run_until_idle()
    assert rx.received == [] and [d.state for d in deliveries(db)] == ["queued"]  # its lease still holds
    time.sleep(1.1)
    Worker().run_until_idle()
    assert len(rx.received) == 1 and [d.state for d in deliveries(db)] == ["sent"]
    time.sleep(1.1)
    Worker().run_until_idle()
    assert len(rx.received) == 1  # nothing sent twice


def test_an_sms_gateway_gets_the_template_filled(client, w, db, rx):
    channel(client, w, kind="sms", url=f"{rx.base}/sms", phones=["13800138000"],
            template="【巡查】{case_number}{category}，时限{deadline_at}，请及时处理。{unknown}")
    t = dispatch(client, w)
    Worker().run_until_idle()
    [got] = rx.received
    assert got.body["phones"] == ["13800138000"] and got.body["id"].startswith("xc-")
    assert got.body["text"].startswith(f"【巡查】{t['case_number']}暴露垃圾，时限20") and got.body["text"].endswith(
        "请及时处理。{unknown}")


def test_a_failing_channel_gives_up_after_its_attempts_and_says_why(client, w, db, rx):
    c = channel(client, w, kind="wecom", url=f"{rx.base}/send?key=k")
    rx.errcode_next = 100
    dispatch(client, w)
    worker = Worker()
    for _ in range(delivery_module.MAX_ATTEMPTS):
        worker.run_until_idle()
        make_due(db)
    [d] = deliveries(db)
    assert (d.state, d.attempts) == ("failed", delivery_module.MAX_ATTEMPTS) and "45009" in d.last_error
    listed = client.get("/api/notifications/channels", headers=w["h"]["admin"]).json()
    assert [(x["id"], x["failed"], x["sent"]) for x in listed] == [(c["id"], 1, 0)]
    assert "45009" in listed[0]["last_error"]
    log = client.get(f"/api/notifications/channels/{c['id']}/deliveries", headers=w["h"]["admin"]).json()
    assert [(x["state"], x["attempts"]) for x in log["items"]] == [("failed", delivery_module.MAX_ATTEMPTS)]


def test_secrets_never_come_back_and_bad_settings_are_refused(client, w, db, rx):
    c = channel(client, w, kind="dingtalk", url=f"{rx.base}/robot/send?access_token=TOKEN", secret="SEC123")
    for body in (c, *client.get("/api/notifications/channels", headers=w["h"]["admin"]).json()):
        text = str(body)
        assert "TOKEN" not in text and "SEC123" not in text
        assert body["url_host"] == "127.0.0.1" and body["has_secret"] is True
    r = client.patch(f"/api/notifications/channels/{c['id']}", headers=w["h"]["admin"], json={"secret": ""})
    assert r.status_code == 200 and r.json()["has_secret"] is False
    admin = w["h"]["admin"]
    for bad in ({"kind": "wecom", "url": "ftp://x/y"}, {"kind": "wecom", "url": "javascript:alert(1)"},
                {"kind": "fax", "url": f"{rx.base}/x"},
                {"kind": "sms", "url": f"{rx.base}/x", "phones": ["12345"]},
                {"kind": "sms", "url": f"{rx.base}/x", "phones": ["13٨00138000"]},  # an Arabic-Indic ٨ matches \d
                {"kind": "wecom", "url": f"{rx.base}/x", "unit_id": 999999},
                {"kind": "wecom", "url": f"{rx.base}/x", "rate_per_minute": 0},
                # NUL, which PostgreSQL cannot store
                {"kind": "webhook", "url": f"{rx.base}/x\x00"}, {"kind": "webhook", "url": f"{rx.base}/x", "secret": "a\x00b"},
                # a channel's name is one line in the lists
                {"kind": "webhook", "url": f"{rx.base}/x", "name": "城管\n群"},
                {"kind": "webhook", "url": f"{rx.base}/x", "name": "城管\u2028群"}):
        r = client.post("/api/notifications/channels", headers=admin, json={"name": "x"} | bad)
        assert r.status_code == 422, (bad, r.text)
    assert client.patch("/api/notifications/channels/999999", headers=admin, json={}).status_code == 404
    assert client.patch(f"/api/notifications/channels/{c['id']}", headers=admin, json={"url": None}).status_code == 422
    for bad in ({"url": f"{rx.base}/x\x00"}, {"secret": "\x00"}, {"name": "城管\r群"}, {"name": "城管\t群"}):
        assert client.patch(f"/api/notifications/channels/{c['id']}", headers=admin, json=bad).status_code == 422
    assert len(client.get("/api/notifications/channels", headers=admin).json()) == 1  # nothing half-written


def test_a_refused_delivery_s_error_names_no_robot_key(client, w, db, rx, caplog):
    """A robot's key is in its URL (企业微信 ?key=, 钉钉 ?access_token= and the sign): the error of a refused
    POST (httpx names the whole URL) must not carry it into the delivery log, the channel list or the logs."""
    wecom = channel(client, w, kind="wecom", url=f"{rx.base}/cgi-bin/webhook/send?key=WECOM-KEY-123")
    ding = channel(client, w, kind="dingtalk", url=f"{rx.base}/robot/send?access_token=DING-TOKEN-456",
                   secret="SEC789")
    rx.fail_next = 2
    dispatch(client, w)
    with caplog.at_level("DEBUG"):
        Worker().run_until_idle()
    assert len(rx.received) == 2
    admin = w["h"]["admin"]
    errors = [d.last_error for d in deliveries(db)]
    assert all(e and "500" in e for e in errors), errors
    shown = str(errors) + client.get("/api/notifications/channels", headers=admin).text + "".join(
        client.get(f"/api/notifications/channels/{c['id']}/deliveries", headers=admin).text for c in (wecom, ding))
    for secret in ("WECOM-KEY-123", "DING-TOKEN-456", "SEC789", "sign="):
        assert secret not in shown and secret not in caplog.text, secret


def test_a_disabled_channel_gets_nothing_and_office_channels_get_the_office_s_messages(client, w, db, rx):
    c = channel(client, w, kind="webhook", url=f"{rx.base}/unit")
    office = channel(client, w, kind="webhook", url=f"{rx.base}/office", unit_id=None)
    client.patch(f"/api/notifications/channels/{c['id']}", headers=w["h"]["admin"], json={"enabled": False})
    t = dispatch(client, w)
    r = action(client, w["h"]["staff"], t["id"], "requests", kind="return", reason="非本单位职责")
    assert r.status_code == 200, r.text
    Worker().run_until_idle()
    assert [(x.path, x.body["kind"]) for x in rx.received] == [("/office", "request_waiting")]
    assert office["unit_id"] is None


def test_every_channel_change_is_in_the_audit_log_without_url_or_secret(client, w, db, rx):
    admin = w["h"]["admin"]
    c = channel(client, w, kind="dingtalk", url=f"{rx.base}/robot/send?access_token=TOKEN", secret="SEC123")
    r = client.patch(f"/api/notifications/channels/{c['id']}", headers=admin,
                     json={"url": f"{rx.base}/robot/send?access_token=OTHER", "secret": "SEC456", "rate_per_minute": 10})
    assert r.status_code == 200, r.text
    assert client.patch(f"/api/notifications/channels/{c['id']}", headers=admin, json={"enabled": False}).status_code == 200
    assert client.post("/api/notifications/channels", headers=admin,
                       json={"name": "x", "kind": "wecom", "url": "ftp://x/y"}).status_code == 422
    r = client.get("/api/admin/audit", headers=admin, params={"entity_type": "channel"})
    rows = r.json()["items"][::-1]
    assert [e["action"] for e in rows] == ["channel.create", "channel.update", "channel.disable"], rows
    assert all(e["entity_id"] == str(c["id"]) for e in rows)
    text = str(rows)
    assert not any(s in text for s in ("TOKEN", "OTHER", "SEC123", "SEC456", "access_token")), text
    assert rows[0]["after"]["url_host"] == "127.0.0.1" and rows[0]["after"]["has_secret"] is True
    assert (rows[1]["before"]["rate_per_minute"], rows[1]["after"]["rate_per_minute"]) == (20, 10)
    assert rows[1]["after"]["secret_changed"] is True and rows[1]["before"]["url"] != rows[1]["after"]["url"]
    assert (rows[2]["before"]["enabled"], rows[2]["after"]["enabled"]) == (True, False)
    # The schedules and a person's SMS too (the number masked).
    assert client.put("/api/notifications/settings", headers=admin, json={"digest_hour": 7}).status_code == 200
    sms = channel(client, w, kind="sms", url=f"{rx.base}/sms")
    staff = db.exec(select(User).where(User.unit_id == w["unit"].id)).first()
    r = client.put(f"/api/notifications/subscriptions/{staff.id}", headers=admin,
                   json={"channel_id": sms["id"], "phone": "13800138000", "kinds": ["dispatched"]})
    assert r.status_code == 200, r.text
    assert client.delete(f"/api/notifications/subscriptions/{staff.id}", headers=admin).status_code == 204
    items = client.get("/api/admin/audit", headers=admin).json()["items"]
    assert [e["action"] for e in items[:3]] == ["subscription.remove", "subscription.set", "channel.create"]
    assert "13800138000" not in str(items) and items[1]["after"]["phone"] == "138****8000"
    digest = next(e for e in items if e["action"] == "settings.notifications")
    assert digest["after"]["digest_hour"] == 7 and digest["before"]["digest_hour"] != 7


@pytest.fixture
def no_private_hosts(monkeypatch):
    """The production default: no intranet host allowed (the suite allows its receivers on 127.0.0.1)."""
    def clear() -> None:
        monkeypatch.setenv("XUNCHA_NOTIFY_PRIVATE_HOSTS", "")
        get_settings.cache_clear()
    yield clear
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/api/health", "http://0x7f000001/", "http://2130706433/", "http://127.1/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://localhost:5432/", "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.8/robot", "http://192.168.1.1/", "http://0.0.0.0:6379/", "http://100.100.100.200/",
    "http://169.254.169.254./", "http://localhost./", "http://127。0。0。1/", "http://127．0．0．1:8000/",
    "http://[::7f00:1]/", "http://[2002:7f00:1::]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/"])
def test_a_channel_cannot_point_at_this_machine_or_the_intranet(client, w, db, no_private_hosts, url):
    no_private_hosts()
    for kind in ("webhook", "wecom"):
        r = client.post("/api/notifications/channels", headers=w["h"]["admin"],
                        json={"name": "内网", "unit_id": w["unit"].id, "kind": kind, "url": url})
        assert r.status_code == 422, r.text
        assert "XUNCHA_NOTIFY_PRIVATE_HOSTS" in r.text
    ok = channel(client, w, kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    r = client.patch(f"/api/notifications/channels/{ok['id']}", headers=w["h"]["admin"], json={"url": url})
    assert r.status_code == 422, r.text


def test_an_intranet_target_is_refused_at_send_unless_the_operator_allows_it(client, w, db, rx, monkeypatch,
                                                                             no_private_hosts):
    channel(client, w, kind="webhook", url=f"{rx.base}/hook")  # saved while the suite allows 127.0.0.1
    no_private_hosts()
    dispatch(client, w)
    Worker().run_until_idle()
    [d] = deliveries(db)
    # Failed at once, not retried for an hour: no retry changes where the host points.
    assert (d.state, d.attempts) == ("failed", 1) and "XUNCHA_NOTIFY_PRIVATE_HOSTS" in d.last_error
    assert rx.received == []
    # A network the operator names is allowed (a 政务微信 or SMS gateway inside the government network).
    monkeypatch.setenv("XUNCHA_NOTIFY_PRIVATE_HOSTS", "10.8.0.0/16, 127.0.0.0/8")
    get_settings.cache_clear()
    dispatch(client, w)
    Worker().run_until_idle()
    assert len(rx.received) == 1


def test_a_name_that_resolves_to_this_machine_is_refused_at_send(no_private_hosts):
    """A name passes the save check (it is not an address); each send resolves it first."""
    host = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)}
    except socket.gaierror:
        pytest.skip(f"{host} does not resolve here")
    if not all(ipaddress.ip_address(a).is_loopback or ipaddress.ip_address(a).is_private for a in addresses):
        pytest.skip(f"{host} resolves to a public address here")
    no_private_hosts()
    url = f"http://{host}:8000/api/health"
    targets.check_saved(url)
    with pytest.raises(targets.BlockedTarget):
        targets.route(url)
    with pytest.raises(targets.Unresolvable):  # an OSError: retried, as a refused connection is
        targets.route("http://no-such-host.invalid/")


def test_a_send_goes_to_the_address_checked_not_where_the_name_points_a_moment_later(client, w, db, monkeypatch):
    """DNS rebinding: a name answering an allowed address to the check and 127.0.0.1 to the connection made
    right after (a zero TTL) reached this machine, the check passed. The send now goes to the address checked,
    the name kept as the Host header. The resolver is the one thing stood in for (no DNS server runs here);
    both receivers are real, on the same port of two loopback addresses."""
    allowed = fake.start("127.0.0.2")
    port = allowed.server.server_address[1]
    try:
        forbidden = fake.start("127.0.0.1", port)
    except OSError:
        allowed.close()
        pytest.skip(f"port {port} is taken on 127.0.0.1")
    try:
        monkeypatch.setenv("XUNCHA_NOTIFY_PRIVATE_HOSTS", "127.0.0.2/32")
        get_settings.cache_clear()
        name, answers = "robot.rebind.test", iter(["127.0.0.2"])
        real = socket.getaddrinfo

        def rebinding(host, *args, **kwargs):
            if host != name:
                return real(host, *args, **kwargs)
            address = next(answers, "127.0.0.1")  # the first answer, then this machine
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, args[0] if args else port))]

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        channel(client, w, kind="webhook", url=f"http://{name}:{port}/hook")
        dispatch(client, w)
        Worker().run_until_idle()
        [d] = deliveries(db)
        assert d.state == "sent", d.last_error
        assert forbidden.received == []
        [got] = allowed.received
        assert got.path == "/hook" and got.headers["Host"] == f"{name}:{port}"
    finally:
        allowed.close()
        forbidden.close()
        get_settings.cache_clear()


def test_an_https_send_is_pinned_and_keeps_its_name_for_tls(monkeypatch):
    """The address checked for the URL, the name for the certificate (SNI and its check) and the Host header."""
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: [
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2400:3200::1", 443, 0, 0))])
    to = targets.route("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    assert to.url == "https://[2400:3200::1]/cgi-bin/webhook/send?key=k"
    assert to.headers == {"Host": "qyapi.weixin.qq.com"} and to.extensions == {"sni_hostname": "qyapi.weixin.qq.com"}
    assert not to.trust_env
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: [
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2400:3200::1", 443, 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("101.91.40.120", 443))])
    # IPv4 first: a server may get AAAA answers with no IPv6 route, and only one address is tried.
    assert targets.route("https://qyapi.weixin.qq.com/x").url == "https://101.91.40.120/x"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")  # an egress proxy connects: its rules decide
    assert targets.route("https://qyapi.weixin.qq.com/x") == targets.Route("https://qyapi.weixin.qq.com/x",
                                                                            trust_env=True)
