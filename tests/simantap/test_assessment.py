"""The 360 assessment: assignments from the organisation (pure rules and the institution),
the rater's own form, completion per unit, reminders, and anonymity on every page."""

import re
from collections import Counter

import pytest
from sikd_simantap import assessment
from sikd_simantap.models import Assignment, Period, Rating
from sikd_simantap.scoring.assignments import Options, Pair, Person, generate
from simantap_helpers import client_for as logged_in
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.notifications.models import Notification

# --- pure assignment rules ----------------------------------------------------------------


def unit(size, unit_id=1, head_position=100, staff_position=101, first_id=1):
    """A head and ``size`` staff on one position reporting to the head."""
    head = Person(first_id, head_position, unit_id, None)
    staff = [
        Person(first_id + i, staff_position, unit_id, head_position) for i in range(1, size + 1)
    ]
    return [head, *staff]


def by_relation(pairs, relation):
    return [p for p in pairs if p.relation == relation]


def test_superior_subordinates_and_all_peers_of_a_small_unit():
    people = unit(3)  # head 1, staff 2, 3, 4
    pairs = set(generate(people, Options(seed=1)))
    assert {p for p in pairs if p.relation == "atasan"} == {Pair(1, i, "atasan") for i in (2, 3, 4)}
    assert {p for p in pairs if p.relation == "bawahan"} == {
        Pair(i, 1, "bawahan") for i in (2, 3, 4)
    }
    assert {(p.rater_id, p.ratee_id) for p in by_relation(pairs, "rekan")} == {
        (a, b) for a in (2, 3, 4) for b in (2, 3, 4) if a != b
    }
    assert not by_relation(pairs, "diri")
    with_self = set(generate(people, Options(seed=1, include_self=True)))
    assert with_self - pairs == {Pair(i, i, "diri") for i in (1, 2, 3, 4)}


def test_peers_are_the_same_unit_and_the_same_superior_position_only():
    people = [
        Person(1, 10, 1, None),  # head of unit 1
        Person(2, 11, 1, 10),  # two positions in unit 1 reporting to the head: peers
        Person(3, 12, 1, 10),
        Person(4, 13, 2, 10),  # reports to the same head but sits in unit 2: not a peer
        Person(5, 14, 1, 11),  # reports to person 2's position: a subordinate, not a peer
    ]
    pairs = generate(people, Options())
    assert {(p.rater_id, p.ratee_id) for p in by_relation(pairs, "rekan")} == {(2, 3), (3, 2)}
    assert Pair(2, 5, "atasan") in pairs and Pair(5, 2, "bawahan") in pairs


def test_peer_caps_per_ratee_and_per_rater_in_a_big_unit():
    people = unit(30)
    pairs = generate(people, Options(peers_per_ratee=5, peers_per_rater=10, seed=7))
    per_ratee = Counter(p.ratee_id for p in by_relation(pairs, "rekan"))
    per_rater = Counter(p.rater_id for p in by_relation(pairs, "rekan"))
    assert set(per_ratee.values()) == {5}  # every one of the 30 gets exactly 5 peers
    assert max(per_rater.values()) <= 10 and sum(per_rater.values()) == 150
    tight = generate(people, Options(peers_per_ratee=5, peers_per_rater=3, seed=7))
    per_rater = Counter(p.rater_id for p in by_relation(tight, "rekan"))
    per_ratee = Counter(p.ratee_id for p in by_relation(tight, "rekan"))
    assert max(per_rater.values()) == 3 and max(per_ratee.values()) <= 5
    assert sum(per_rater.values()) == 90  # every rater is used up to the cap
    assert len(set(tight)) == len(tight) and all(p.rater_id != p.ratee_id for p in tight)


def test_the_same_seed_gives_the_same_peers_and_another_seed_others():
    people = unit(20)
    first = generate(people, Options(seed=42))
    assert generate(list(reversed(people)), Options(seed=42)) == first
    assert generate(people, Options(seed=43)) != first
    # a change elsewhere in the organisation leaves this unit's peers alone
    elsewhere = unit(6, unit_id=2, head_position=200, staff_position=201, first_id=500)
    mixed = generate(people + elsewhere, Options(seed=42))
    assert [p for p in mixed if p.rater_id < 500] == first


def test_fixed_peer_pairs_are_kept_and_count_towards_the_caps():
    people = unit(10)
    fixed = [(2, 3), (4, 3)]
    pairs = generate(people, Options(peers_per_ratee=2, peers_per_rater=2, seed=3), fixed)
    rekan = by_relation(pairs, "rekan")
    assert {(p.rater_id, p.ratee_id) for p in rekan if p.ratee_id == 3} == {(2, 3), (4, 3)}
    assert max(Counter(p.rater_id for p in rekan).values()) <= 2


# --- the institution ----------------------------------------------------------------------


def client_for(app, username):
    client = logged_in(app, username)
    client.set_cookie("sikd_locale", "en")  # the messages checked are the English msgids
    return client


def make_period(app, code="2026", status="open", profile_name="Permenpan 3/2020"):
    from sikd_simantap import periods

    with app.app_context():
        period = periods.create("test", code, profile_name)
        period.status = status
        db.session.commit()
        return period.id


def set_status(app, period_id, status):
    with app.app_context():
        db.session.get(Period, period_id).status = status
        db.session.commit()


def generate_on_page(app, period_id, **fields):
    data = {"peers_per_ratee": 5, "peers_per_rater": 10, "seed": 1}
    data.update(fields)
    if data.pop("include_self", False):
        data["include_self"] = "y"
    return client_for(app, "hr").post(f"/simantap/periods/{period_id}/360/generate", data=data)


def assignments(app, period_id):
    """{(rater username, ratee username): relation}."""
    with app.app_context():
        rater, ratee = User.__table__.alias(), User.__table__.alias()
        rows = db.session.execute(
            select(rater.c.username, ratee.c.username, Assignment.relation)
            .join(rater, rater.c.id == Assignment.rater_id)
            .join(ratee, ratee.c.id == Assignment.ratee_id)
            .where(Assignment.period_id == period_id)
        )
        return {(a, b): relation for a, b, relation in rows}


def assignment_id(app, period_id, rater, ratee):
    with app.app_context():
        rater_user, ratee_user = User.__table__.alias(), User.__table__.alias()
        return db.session.scalar(
            select(Assignment.id)
            .join(rater_user, rater_user.c.id == Assignment.rater_id)
            .join(ratee_user, ratee_user.c.id == Assignment.ratee_id)
            .where(
                Assignment.period_id == period_id,
                rater_user.c.username == rater,
                ratee_user.c.username == ratee,
            )
        )


TU = [f"tu{i}" for i in range(1, 6)]
KP = ["kp1", "kp2", "kp3", "hr"]
EVERYONE = ["sekretaris", "kabiro", "kabag_tu", "kabag_kp", *TU, *KP]


def expected_institution(include_self=False):
    pairs = {}
    for boss, staff in (("kabag_tu", TU), ("kabag_kp", KP), ("kabiro", ["kabag_tu", "kabag_kp"])):
        for person in staff:
            pairs[(boss, person)] = "atasan"
            pairs[(person, boss)] = "bawahan"
        if boss != "kabiro":
            for a in staff:
                for b in staff:
                    if a != b:
                        pairs[(a, b)] = "rekan"
    pairs[("sekretaris", "kabiro")] = "atasan"
    pairs[("kabiro", "sekretaris")] = "bawahan"
    if include_self:
        pairs.update({(name, name): "diri" for name in EVERYONE})
    return pairs


def test_assignments_of_the_institution_are_exactly_as_expected(app, institution):
    pid = make_period(app, status="draft")
    assert generate_on_page(app, pid).status_code == 303
    assert assignments(app, pid) == expected_institution()  # kabag_tu and kabag_kp: no peers
    assert len(expected_institution()) == 56
    again = generate_on_page(app, pid, include_self=True)  # generating again adds diri only
    assert again.status_code == 303
    assert assignments(app, pid) == expected_institution(include_self=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 56 + 13
        details = db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "simantap.assignments_generated")
        ).all()
    assert len(details) == 2 and '"created": 56' in details[0] and '"created": 13' in details[1]


def test_peer_caps_on_the_institution_and_determinism(app, institution):
    pid = make_period(app)
    generate_on_page(app, pid, peers_per_ratee=2, seed=9)
    first = assignments(app, pid)
    rekan = [pair for pair, relation in first.items() if relation == "rekan"]
    assert Counter(ratee for _rater, ratee in rekan) == {name: 2 for name in TU + KP}
    generate_on_page(app, pid, peers_per_ratee=2, seed=9)
    assert assignments(app, pid) == first  # same seed: nothing changes
    generate_on_page(app, pid, peers_per_ratee=2, peers_per_rater=1, seed=9)
    rekan = [pair for pair, relation in assignments(app, pid).items() if relation == "rekan"]
    assert max(Counter(rater for rater, _ratee in rekan).values()) == 1


def test_regenerating_keeps_submitted_assignments(app, institution):
    pid = make_period(app)
    generate_on_page(app, pid)
    kept = assignment_id(app, pid, "tu1", "tu2")
    rate(client_for(app, "tu1"), kept)
    generate_on_page(app, pid, peers_per_ratee=1, peers_per_rater=1, seed=5)
    after = assignments(app, pid)
    assert after[("tu1", "tu2")] == "rekan" and assignment_id(app, pid, "tu1", "tu2") == kept
    rekan = Counter(ratee for (_r, ratee), rel in after.items() if rel == "rekan")
    assert rekan["tu2"] == 1 and max(rekan.values()) == 1  # the kept one counts in the cap
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Rating.assignment_id == kept)) == 7


def test_generation_is_refused_for_a_closed_period_and_checks_its_form(app, institution):
    pid = make_period(app, status="closed")
    response = generate_on_page(app, pid)
    assert response.status_code == 409 and "closed" in response.get_data(as_text=True)
    pid2 = make_period(app, code="2027")
    bad = generate_on_page(app, pid2, peers_per_ratee=0)
    assert bad.status_code == 422
    assert assignments(app, pid) == {} and assignments(app, pid2) == {}


def test_the_cli_generates_the_same_assignments(app, institution):
    from sikd_host import create_app

    pid = make_period(app)
    keys = ("TESTING", "DATABASE_URL", "INSTANCE_PATH", "STORAGE_DIR", "SECRET_KEY", "REDIS_URL")
    fresh = create_app({key: app.config[key] for key in keys})  # plugin commands registered
    result = fresh.test_cli_runner().invoke(
        args=["simantap", "period", "assign", "2026", "--seed", "1", "--self"]
    )
    assert result.exit_code == 0, result.output
    assert "69 in all" in result.output
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()
    assert assignments(app, pid) == expected_institution(include_self=True)


# --- the rater's form ---------------------------------------------------------------------


def rate(client, assignment, values=(5, 4, 3, 4, 5, 2, 1), comment=""):
    data = {f"butir_{i}": str(v) for i, v in enumerate(values, start=1) if v is not None}
    data["comment"] = comment
    return client.post(f"/simantap/360/{assignment}", data=data)


def ratings(app, assignment):
    with app.app_context():
        rows = db.session.execute(
            select(Rating.butir, Rating.nilai).where(Rating.assignment_id == assignment)
        )
        return dict(rows.all())


@pytest.fixture
def open_period(app, institution):
    pid = make_period(app)
    generate_on_page(app, pid)
    return pid


def test_my_page_lists_whom_i_rate_in_open_periods(app, open_period):
    draft = make_period(app, code="2027", status="draft")
    generate_on_page(app, draft)
    page = client_for(app, "tu1").get("/simantap/360").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>(\w+)</td>\s*<td>(\w+)</td>\s*<td>([^<]+)</td>", page)
    assert sorted(rows) == sorted(
        [("2026", "Kabag_Tu", "Subordinate (bawahan)")]
        + [("2026", name.title(), "Peer (rekan)") for name in ("tu2", "tu3", "tu4", "tu5")]
    )  # nothing of the draft period 2027
    assert page.count("To do") == 5


def test_saving_editing_and_the_closed_period(app, open_period):
    target = assignment_id(app, open_period, "tu1", "tu2")
    tu1 = client_for(app, "tu1")
    assert rate(tu1, target, comment="Sangat membantu").status_code == 303
    assert ratings(app, target) == {1: 5, 2: 4, 3: 3, 4: 4, 5: 5, 6: 2, 7: 1}
    with app.app_context():
        row = db.session.get(Assignment, target)
        assert row.submitted_at is not None and row.comment == "Sangat membantu"
    page = tu1.get("/simantap/360").get_data(as_text=True)
    assert page.count("To do") == 4 and "Done" in page
    form = tu1.get(f"/simantap/360/{target}").get_data(as_text=True)
    assert re.search(r'<input[^>]* checked [^>]*name="butir_7"[^>]*value="1"', form), form
    assert "Sangat membantu" in form
    assert rate(tu1, target, values=(1, 1, 1, 1, 1, 1, 2)).status_code == 303  # edited
    assert ratings(app, target) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 2}
    set_status(app, open_period, "closed")
    closed = tu1.get(f"/simantap/360/{target}").get_data(as_text=True)
    assert "can no longer change" in closed and "disabled" in closed and ">Save<" not in closed
    refused = rate(tu1, target, values=(5,) * 7)
    assert refused.status_code == 409
    assert ratings(app, target) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 2}


@pytest.mark.parametrize(
    "values", [(5, 4, 3, None, 5, 2, 1), (5, 4, 3, 6, 5, 2, 1), (5, 4, 3, "x", 5, 2, 1)]
)
def test_every_item_needs_a_value_from_1_to_5_and_nothing_is_half_saved(app, open_period, values):
    target = assignment_id(app, open_period, "tu1", "tu2")
    response = rate(client_for(app, "tu1"), target, values=values)
    assert response.status_code == 422
    assert 'data-error-for="butir_4"' in response.get_data(as_text=True)
    assert ratings(app, target) == {}
    with app.app_context():
        assert db.session.get(Assignment, target).submitted_at is None


def test_a_draft_periods_form_cannot_be_saved(app, institution):
    pid = make_period(app, status="draft")
    generate_on_page(app, pid)
    response = rate(client_for(app, "tu1"), assignment_id(app, pid, "tu1", "tu2"))
    assert response.status_code == 409 and "not open yet" in response.get_data(as_text=True)


def test_only_the_rater_can_open_an_assignment(app, open_period):
    target = assignment_id(app, open_period, "tu1", "tu2")
    for other in ("tu2", "kabag_tu", "hr"):  # the ratee, the unit leader and HR
        client = client_for(app, other)
        assert client.get(f"/simantap/360/{target}").status_code == 404, other
        assert rate(client, target).status_code == 404, other
    assert client_for(app, "tu1").get("/simantap/360/999999").status_code == 404
    assert ratings(app, target) == {}


# --- completion and reminders -------------------------------------------------------------


def completion_rows(page):
    rows = {}
    for unit_code, body in re.findall(r'<tr data-unit="([^"]+)">(.*?)</tr>', page, re.S):
        cells = dict(re.findall(r'data-col="(\w+)">(.*?)</td>', body, re.S))
        rows[unit_code] = cells
    return rows


def test_completion_per_unit(app, open_period):
    tu1 = client_for(app, "tu1")
    for ratee in ("kabag_tu", "tu2", "tu3", "tu4", "tu5"):  # tu1 completes every form
        assert rate(tu1, assignment_id(app, open_period, "tu1", ratee)).status_code == 303
    rate(client_for(app, "kp1"), assignment_id(app, open_period, "kp1", "kabag_kp"))
    page = client_for(app, "hr").get(f"/simantap/periods/{open_period}/360")
    assert page.status_code == 200
    rows = completion_rows(page.get_data(as_text=True))
    # BU.TU: 5 staff x (1 bawahan + 4 rekan) + kabag_tu (5 atasan + 1 bawahan) = 31
    assert rows["BU.TU"]["assignments"] == "31" and rows["BU.TU"]["submitted"] == "5"
    assert rows["BU.TU"]["percent"] == "16.1%"
    assert "Tu1" not in rows["BU.TU"]["pending"] and "Tu2 (5)" in rows["BU.TU"]["pending"]
    assert "Kabag_Tu (6)" in rows["BU.TU"]["pending"]
    # BU.KP: 4 staff x (1 + 3) + kabag_kp (4 + 1) = 21
    assert (rows["BU.KP"]["assignments"], rows["BU.KP"]["submitted"]) == ("21", "1")
    assert "Kp1 (3)" in rows["BU.KP"]["pending"]
    assert (rows["BU"]["assignments"], rows["SJ"]["assignments"]) == ("3", "1")
    text = page.get_data(as_text=True)
    assert 'id="total-assignments">56<' in text and 'id="total-submitted">6<' in text
    assert (
        client_for(app, "kabag_tu").get(f"/simantap/periods/{open_period}/360").status_code == 403
    )


def test_reminders_notify_each_rater_with_open_forms_once(app, open_period):
    tu1 = client_for(app, "tu1")
    for ratee in ("kabag_tu", "tu2", "tu3", "tu4", "tu5"):
        rate(tu1, assignment_id(app, open_period, "tu1", ratee))
    hr = client_for(app, "hr")
    response = hr.post(f"/simantap/periods/{open_period}/360/reminders")
    assert response.status_code == 303
    with app.app_context():
        rows = db.session.execute(
            select(User.username, Notification.link).join(User, User.id == Notification.user_id)
        ).all()
        audited = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "simantap.reminders_sent")
        )
    assert sorted(name for name, _link in rows) == sorted(set(EVERYONE) - {"tu1"})
    assert {link for _name, link in rows} == {"/simantap/360"} and audited == 1
    page = client_for(app, "tu2").get("/notifications/").get_data(as_text=True)
    assert "Reminder: please complete your 360 assessment for period 2026." in page
    assert "Reminder" not in tu1.get("/notifications/").get_data(as_text=True)
    set_status(app, open_period, "closed")
    assert hr.post(f"/simantap/periods/{open_period}/360/reminders").status_code == 409


# --- anonymity ----------------------------------------------------------------------------

SECRET = "Komentar-rahasia-7f3a"


def pages_of(app, period_id, username):
    """Every Simantap page built here that ``username`` can reach, and the host's pages."""
    client = client_for(app, username)
    with app.app_context():
        own = db.session.scalars(
            select(Assignment.id)
            .join(User, User.id == Assignment.rater_id)
            .where(User.username == username)
        ).all()
        every = db.session.scalars(select(Assignment.id)).all()
    urls = [
        "/",
        "/simantap/",
        "/simantap/360",
        "/simantap/periods",
        f"/simantap/periods/{period_id}/profile",
        f"/simantap/periods/{period_id}/360",
        "/notifications/",
        *[f"/simantap/360/{i}" for i in every],
    ]
    found = {}
    for url in urls:
        response = client.get(url)
        found[url] = (response.status_code, response.get_data(as_text=True), url in
                      [f"/simantap/360/{i}" for i in own])  # fmt: skip
    return found


def test_no_page_shows_a_rating_with_its_rater_to_anyone_else(app, open_period):
    target = assignment_id(app, open_period, "tu1", "tu2")
    tu1 = client_for(app, "tu1")
    rate(tu1, target, values=(5, 5, 5, 5, 5, 5, 5), comment=SECRET)
    hr = client_for(app, "hr")
    hr.post(f"/simantap/periods/{open_period}/360/reminders")
    for viewer in ("kabag_tu", "hr", "tu2"):  # the unit leader, the HR admin, the ratee
        pages = pages_of(app, open_period, viewer)
        reached = [url for url, (status, _text, _own) in pages.items() if status == 200]
        assert "/simantap/360" in reached
        if viewer == "hr":
            assert f"/simantap/periods/{open_period}/360" in reached
        for url, (status, text, own) in pages.items():
            assert SECRET not in text, (viewer, url)
            if url == f"/simantap/360/{target}":
                assert status == 404, (viewer, url)
            if status == 200 and not own:
                assert "checked" not in text, (viewer, url)  # no one else's answers
                # the completion page names raters with open forms, never whom they rate
                raters_only = re.sub(r'data-col="pending">.*?</td>', "", text, flags=re.S)
                blocks = re.findall(r"<(?:tr|li)\b(?:(?!</(?:tr|li)>).)*", raters_only, re.S)
                for block in blocks:  # no row puts the rater next to the person rated
                    assert not ("Tu1" in block and "Tu2" in block), (viewer, url, block)
    own_page = tu1.get(f"/simantap/360/{target}").get_data(as_text=True)
    assert SECRET in own_page  # the rater sees their own answers


# --- CSRF ---------------------------------------------------------------------------------


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "DEFAULT_LOCALE": "en"}

    def test_every_form_carries_the_token_and_a_post_without_it_is_refused(self, app, institution):
        pid = make_period(app)
        with app.app_context():
            assessment.generate_assignments("test", db.session.get(Period, pid), Options(seed=1))
            db.session.commit()
        target = assignment_id(app, pid, "tu1", "tu2")
        hr, tu1 = client_for(app, "hr"), client_for(app, "tu1")
        pages = [
            (hr, "/simantap/periods"),
            (hr, f"/simantap/periods/{pid}/profile"),
            (hr, f"/simantap/periods/{pid}/360"),
            (tu1, f"/simantap/360/{target}"),
            (tu1, "/notifications/"),
        ]
        for client, url in pages:
            text = client.get(url).get_data(as_text=True)
            forms = re.findall(r'<form method="post".*?</form>', text, re.S)
            assert forms, url
            for form in forms:
                assert 'name="csrf_token"' in form, (url, form[:120])
        assert rate(tu1, target).status_code == 400
        assert (
            hr.post("/simantap/periods", data={"code": "2030", "profile": "MK"}).status_code == 400
        )
        assert hr.post(f"/simantap/periods/{pid}/360/reminders").status_code == 400
        assert ratings(app, target) == {}
        page = tu1.get(f"/simantap/360/{target}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {f"butir_{i}": "3" for i in range(1, 8)}
        data["csrf_token"] = token
        assert tu1.post(f"/simantap/360/{target}", data=data).status_code == 303
        assert ratings(app, target) == dict.fromkeys(range(1, 8), 3)
