"""§18 on the desk: a lead reviewer assigns and takes back from the complaint page and the
queue (anyone else gets 403); operations keep canned decision notes per kind, which reviewers
insert into the note; the evidence viewer sits beside the decision."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from complaints import services as complaint_services
from complaints.models import Complaint, DecisionTemplate
from tests import factories
from tickets import services as ticket_services

from .helpers import claimed, decide_url, page, pending, queue_url, texts

pytestmark = pytest.mark.django_db


def assign_url(complaint):
    return reverse("admin:complaints_complaint_assign", args=[complaint.pk])


# -- the review_leads group -------------------------------------------------------------


def test_leads_hold_the_reviewers_permissions():
    def perms(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert perms("review_leads") == perms("reviewers")
    assert "change_complaint" in perms("review_leads")


def test_a_lead_logs_in_and_works_the_queue(lead_client):
    complaint = pending()
    response = lead_client.get(queue_url())
    assert [c.pk for c in response.context["cl"].result_list] == [complaint.pk]
    assert "take_back_selected" in response.content.decode()


# -- assignment ---------------------------------------------------------------------------


def test_a_lead_assigns_a_waiting_complaint_from_its_page(lead_client, lead, reviewer):
    complaint = pending()
    claimed(reviewer)  # the reviewer already holds one
    html = lead_client.get(page(complaint)).content.decode()
    assert 'id="rv-assign"' in html
    option = re.search(rf'<option value="{reviewer.pk}">(.*?)</option>', html).group(1)
    assert option == f"{reviewer.username} (1 in review)"
    response = lead_client.post(
        assign_url(complaint), {"action": "assign", "reviewer": reviewer.pk}
    )
    assert response.status_code == 302 and response.url == page(complaint)
    assert any(f"assigned to {reviewer.username}" in t for t in texts(response))
    complaint.refresh_from_db()
    assert (complaint.state, complaint.assignee) == ("in_review", reviewer)
    # the timeline says who assigned it to whom
    html = lead_client.get(page(complaint)).content.decode()
    assert f"assigned to {reviewer.username}" in html
    assert 'id="rv-take-back"' in html and f"Take it back from {reviewer.username}" in html


def test_a_lead_takes_a_complaint_back(lead_client, reviewer):
    complaint = claimed(reviewer)
    response = lead_client.post(assign_url(complaint), {"action": "take_back"})
    assert any("back in the queue" in t for t in texts(response))
    complaint.refresh_from_db()
    assert (complaint.state, complaint.assignee) == ("pending", None)
    assert (
        f"taken back from {reviewer.username}" in lead_client.get(page(complaint)).content.decode()
    )


def test_a_lead_takes_several_back_from_the_queue(lead_client, reviewer, other_reviewer):
    first, second, waiting = claimed(reviewer), claimed(other_reviewer), pending()
    response = lead_client.post(
        queue_url(),
        {"action": "take_back_selected", "_selected_action": [first.pk, second.pk, waiting.pk]},
    )
    assert set(Complaint.objects.values_list("state", flat=True)) == {"pending"}
    messages = texts(response)
    assert any("Took 2" in m for m in messages)
    assert any(f"#{waiting.pk}" in m and "Only a complaint in review" in m for m in messages)


def test_reviewers_who_are_not_leads_get_403_and_change_nothing(reviewer_client, other_reviewer):
    complaint = pending()
    html = reviewer_client.get(page(complaint)).content.decode()
    assert 'id="rv-assign"' not in html
    response = reviewer_client.post(
        assign_url(complaint), {"action": "assign", "reviewer": other_reviewer.pk}
    )
    assert response.status_code == 403
    held = claimed(other_reviewer)
    assert reviewer_client.post(assign_url(held), {"action": "take_back"}).status_code == 403
    response = reviewer_client.post(
        queue_url(), {"action": "take_back_selected", "_selected_action": [held.pk]}
    )
    assert "take_back_selected" not in reviewer_client.get(queue_url()).content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == "pending"
    assert Complaint.objects.get(pk=held.pk).assignee == other_reviewer


def test_operations_cannot_assign(ops_client, reviewer):
    complaint = pending()
    response = ops_client.post(assign_url(complaint), {"action": "assign", "reviewer": reviewer.pk})
    assert response.status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).state == "pending"


@pytest.mark.parametrize(
    "data",
    [
        {"action": "assign", "reviewer": "999999"},
        {"action": "assign", "reviewer": "abc"},
        {"action": "assign"},
        {"action": "delete"},
        {},
    ],
)
def test_bad_assignments_are_refused_and_change_nothing(lead_client, data):
    complaint = pending()
    merchant = factories.staff_of(complaint.ticket)
    if data.get("reviewer") == "999999":
        data = {**data, "reviewer": merchant.pk}  # a real user, but no reviewer
    response = lead_client.post(assign_url(complaint), data)
    assert response.status_code == 302
    assert texts(response)
    assert Complaint.objects.get(pk=complaint.pk).state == "pending"
    assert lead_client.get(assign_url(complaint)).status_code == 405
    assert lead_client.post(assign_url(Complaint(pk=999999)), data).status_code == 404


def test_assigning_a_complaint_another_lead_just_assigned(
    lead_client, lead, reviewer, other_reviewer
):
    complaint = pending()
    complaint_services.complaint_assign(
        complaint_id=complaint.pk, lead=lead, reviewer=other_reviewer
    )
    response = lead_client.post(
        assign_url(complaint), {"action": "assign", "reviewer": reviewer.pk}
    )
    assert any("take it back first" in t for t in texts(response))
    assert Complaint.objects.get(pk=complaint.pk).assignee == other_reviewer


# -- canned decision notes -------------------------------------------------------------------


def template(**kwargs):
    return DecisionTemplate.objects.create(**{"title": "t", "text": "x", **kwargs})


def test_operations_keep_canned_notes(ops_client, ops):
    url = reverse("admin:complaints_decisiontemplate_add")
    response = ops_client.post(
        url,
        {
            "title": "无证据",
            "kind": "cannot_ship",
            "decision": "uphold",
            "text": "商家未提供任何证据，投诉成立。",
            "position": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    note = DecisionTemplate.objects.get()
    assert (note.kind, note.decision, note.updated_by) == ("cannot_ship", "uphold", ops)
    change = reverse("admin:complaints_decisiontemplate_change", args=[note.pk])
    response = ops_client.post(
        change,
        {"title": "无证据", "kind": "", "decision": "", "text": "改过", "position": "2"},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.kind, note.text, note.is_active) == ("", "改过", False)
    response = ops_client.post(
        reverse("admin:complaints_decisiontemplate_delete", args=[note.pk]), {"post": "yes"}
    )
    assert not DecisionTemplate.objects.exists()


def test_reviewers_read_canned_notes_but_do_not_edit_them(reviewer_client):
    note = template()
    changelist = reverse("admin:complaints_decisiontemplate_changelist")
    assert reviewer_client.get(changelist).status_code == 200
    assert reviewer_client.get(reverse("admin:complaints_decisiontemplate_add")).status_code == 403
    change = reverse("admin:complaints_decisiontemplate_change", args=[note.pk])
    reviewer_client.post(change, {"title": "mine", "text": "y", "position": "0"})
    note.refresh_from_db()
    assert note.title == "t"


def test_the_page_offers_the_canned_notes_of_the_kind_and_decisions_open(reviewer_client, reviewer):
    complaint = claimed(reviewer)  # cannot_ship, in review: uphold or dismiss
    shown = [
        template(title="same kind, uphold", kind="cannot_ship", decision="uphold", position=2),
        template(title="same kind, any", kind="cannot_ship", position=1),
        template(title="every kind", text="通用\n第二行"),
    ]
    template(title="other kind", kind="reply_timeout")
    template(title="appeal only", kind="cannot_ship", decision="grant_appeal")
    template(title="inactive", kind="cannot_ship", is_active=False)
    html = reviewer_client.get(page(complaint)).content.decode()
    titles = re.findall(
        r'<option value="\d+" data-text="[^"]*">([^<·]+?)(?: · [^<]+)?</option>', html
    )
    assert titles == ["every kind", "same kind, any", "same kind, uphold"]
    assert 'data-text="通用\n第二行"' in html
    assert all(str(t.pk) in html for t in shown)
    # JavaScript in a file, nothing inline
    assert "review_desk/decision.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_without_javascript_a_canned_note_is_inserted_after_what_was_typed(
    reviewer_client, reviewer
):
    complaint = claimed(reviewer)
    note = template(kind="cannot_ship", text="商家未说明原因。")
    response = reviewer_client.post(
        decide_url(complaint),
        {"insert_template": "1", "template": note.pk, "note": "我的看法："},
    )
    assert response.status_code == 302 and response.url == page(complaint) + "#rv-decision"
    html = reviewer_client.get(page(complaint)).content.decode()
    assert ">我的看法：\n商家未说明原因。</textarea>" in html
    assert Complaint.objects.get(pk=complaint.pk).state == "in_review"  # nothing decided
    # a template of another kind, or none, inserts nothing
    other = template(kind="reply_timeout", text="别的")
    reviewer_client.post(
        decide_url(complaint), {"insert_template": "1", "template": other.pk, "note": "原文"}
    )
    assert ">原文</textarea>" in reviewer_client.get(page(complaint)).content.decode()


# -- the note field and the evidence viewer ------------------------------------------------


def test_the_note_field_is_marked_required(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    html = reviewer_client.get(page(complaint)).content.decode()
    label = re.search(r'<label for="id_note" class="required"[^>]*>(.*?)</label>', html, re.S)
    assert label and "*" in label.group(1) and "required" in label.group(1)
    assert re.search(r'<textarea name="note" id="id_note"[^>]* required aria-required="true"', html)


def test_the_evidence_viewer_sits_beside_the_decision(reviewer_client, reviewer):
    ticket = factories.ticket_in("agreed")
    ticket_services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="n",
        evidence=[factories.upload("a.png"), factories.upload("b.png")],
    )
    complaint = ticket.complaints.get()
    html = reviewer_client.get(page(complaint)).content.decode()
    decision, evidence = html.index('id="rv-decision"'), html.index('id="rv-evidence"')
    # the same column, one after the other
    column = html[decision:evidence]
    assert "</section>" in column and 'class="rv-grid"' not in column
    urls = [reverse("merchant:evidence", args=[e.pk]) for e in complaint.evidence.order_by("pk")]
    assert f'id="rv-stage-img" src="{urls[0]}"' in html
    assert html.count('class="rv-strip-link') == 2
    assert 'id="rv-zoom" hidden' in html  # shown by the script, which zooms
