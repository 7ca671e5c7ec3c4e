"""What the vendor tells the customer: a response, or a status update.

Both offer the customer's designated addresses (the support list in order, then the account
manager) and start on the reporting contact's. When a server to send mail through is set up
(Settings → Mail…), an answer by email is sent from the console's outbox: it goes to one
address on the support list with the account manager copied, threaded to the customer's
mail, and counts for the clock when the mail server accepts it (DESIGN §3). Without one, an
answer is only recorded, as sent from the agent's own mail program.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QButtonGroup, QComboBox, QPlainTextEdit, QRadioButton, QWidget

from console.domain.events import Channel, UpdateChannel
from console.domain.outbound import Purpose, SmtpAccount
from console.domain.records import IncidentSummary
from console.qt.worker import Dispatcher
from console.services.incidents import IncidentDetails, IncidentService
from console.services.outbox import MailDraft, OutboxService, draft_for
from console.services.templates import TemplateService
from console.services.validation import ValidationError
from console.ui.forms import hint_label, set_plain
from console.ui.incident.action_dialog import ActionDialog, Call, stack, text_box
from console.ui.mail.template_picker import attach_template_picker

_RESPONSE_CHANNELS = (
    (Channel.EMAIL, "Email"),
    (Channel.PHONE, "Phone"),
    (Channel.WEB, "Web portal"),
)
_COUNTS_WHEN_ACCEPTED = (
    "Sent from the console's outbox, threaded to the customer's mail; it counts for the clock "
    "when the mail server accepts it."
)


def contact_email(details: IncidentDetails) -> str:
    contact = details.contact
    return contact.emails[0] if contact is not None and contact.emails else ""


def designated_emails(details: IncidentDetails) -> list[str]:
    """The customer's designated addresses: the support list in order, then the CSM."""
    addresses: list[str] = []
    customer = details.customer
    if customer is not None:
        for contact in customer.contacts:
            addresses += [e for e in contact.emails if e not in addresses]
        if customer.csm_email and customer.csm_email not in addresses:
            addresses.append(customer.csm_email)
    return addresses


def recipient_box(details: IncidentDetails) -> QComboBox:
    """Who hears it: the designated addresses to choose from, the reporting contact's first."""
    box = QComboBox()
    box.setEditable(True)
    box.addItems(designated_emails(details))
    box.setCurrentText(contact_email(details))
    return box


def response_channel_box() -> QComboBox:
    """How a response reaches the customer; its data is the ``Channel`` value."""
    box = QComboBox()
    for channel, label in _RESPONSE_CHANNELS:
        box.addItem(label, channel.value)
    return box


class _MailAnswer(ActionDialog):
    """A response or update that may go out by email through the outbox."""

    recorded_intro = ""
    recorded_ok = ""
    sent_ok = ""
    recipient: QComboBox  # set by each dialog's _build_fields
    text: QPlainTextEdit

    def __init__(
        self,
        dispatcher: Dispatcher,
        service: IncidentService,
        details: IncidentDetails,
        parent: QWidget | None = None,
        *,
        outbox: OutboxService | None = None,
        templates: TemplateService | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        """``templates``: the team's mail templates, offered by typing "/" in the text."""
        self._outbox = outbox
        self.account: SmtpAccount | None = outbox.accounts.sending() if outbox else None
        self.draft: MailDraft | None = None
        self.draft_problem = ""
        if self.account is not None:
            try:
                self.draft = draft_for(details, self.account)
            except ValidationError as exc:
                self.draft_problem = " ".join(exc.errors.values())
        self.mail_line = hint_label()
        super().__init__(dispatcher, service, details, parent)
        if templates is not None:
            where = zone if zone is not None else ZoneInfo("UTC")
            attach_template_picker(
                self.text, templates.choices, lambda key: templates.render_body(key, details, where)
            )

    @property
    def sends(self) -> bool:
        """Whether the answer, as the dialog now stands, goes out by email."""
        return self.draft is not None and self._by_email()

    def _by_email(self) -> bool:
        raise NotImplementedError

    def _sending_recipient_box(self) -> QComboBox:
        """The support list's addresses only (where mail from the outbox may go)."""
        box = QComboBox()
        assert self.draft is not None
        for contact, address in self.draft.choices:
            box.addItem(f"{contact.name} <{address}>", address)
        box.setCurrentIndex(max(0, box.findData(self.draft.to)))
        return box

    def _recipient(self) -> str:
        data = self.recipient.currentData()
        return str(data) if self.draft is not None and data else self.recipient.currentText()

    def _show_mode(self) -> None:
        sends = self.sends
        account, draft = self.account, self.draft
        if sends and account is not None and draft is not None:
            sender = f"{account.from_name} <{account.from_address}>".strip()
            lines = [f"From: {sender}", f"Subject: {draft.subject}"]
            to = self._recipient()
            csm = draft.cc[0] if draft.cc and draft.cc[0].casefold() != to.casefold() else ""
            if csm:
                lines.insert(1, f"Cc: {csm} (the customer's account manager)")
            set_plain(self.mail_line, "\n".join(lines))
            set_plain(self.intro_label, _COUNTS_WHEN_ACCEPTED)
        else:
            set_plain(self.mail_line, "")
            why = self.recorded_intro
            if self._by_email() and self.account is None:
                why += " No server to send mail through is set up (Settings → Mail…)."
            elif self._by_email() and self.draft_problem:
                why += f" It cannot be sent from here: {self.draft_problem}"
            set_plain(self.intro_label, why)
        self.mail_line.setVisible(sends)
        self.ok_button.setText(self.sent_ok if sends else self.recorded_ok)


class RespondDialog(_MailAnswer):
    title = "Respond"
    done_text = ": response recorded"
    recorded_intro = (
        "Record the response you gave the customer (by phone, or by mail from your own mail "
        "program). The first one meets the first-response target; a response also stops the "
        "clock of the current escalation level."
    )
    intro = recorded_intro
    recorded_ok = "Record response"
    sent_ok = "Send response"
    ok_text = recorded_ok
    ok_icon = "mdi6.reply"

    def _build_fields(self) -> None:
        self.channel = response_channel_box()
        sending = self.draft is not None
        self.recipient = self._sending_recipient_box() if sending else recipient_box(self.details)
        self.text = text_box("What you tell the customer")
        self.add_field("channel", "&Channel", self.channel)
        hint = "From the support list." if sending else "Defaults to the reporting contact."
        self.add_field("recipient", "&To", self.recipient, hint)
        self.form.addRow("", self.mail_line)
        self.add_field("text", "&Response", self.text)
        self.channel.currentIndexChanged.connect(self._show_mode)
        self.recipient.currentIndexChanged.connect(self._show_mode)
        self._show_mode()
        self.text.setFocus()

    def _by_email(self) -> bool:
        return self.channel.currentData() == Channel.EMAIL.value

    def done_message(self, summary: IncidentSummary) -> str:
        number = summary.number
        if self.sends:
            return f"{number}: response in the outbox; it counts once the mail server accepts it."
        return f"{number}{self.done_text}."

    purpose = Purpose.RESPONSE

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        text, channel = self.text.toPlainText(), str(self.channel.currentData())
        recipient, purpose = self._recipient(), self.purpose
        outbox = self._outbox
        if self.sends and outbox is not None:
            return lambda: outbox.respond(incident, text, recipient, purpose=purpose)
        return lambda: service.respond(incident, text, channel, recipient)


class MissingDetailsDialog(RespondDialog):
    """The request for the missing report items, ready to edit and send (a response: it
    answers the customer, so it meets the first-response target like any other)."""

    title = "Ask for the missing details"
    sent_ok = "Send request"
    purpose = Purpose.MISSING_DETAILS

    def set_request(self, text: str) -> None:
        self.text.setPlainText(text)

    def done_message(self, summary: IncidentSummary) -> str:
        if self.sends:
            return f"{summary.number}: request for the missing details in the outbox."
        return f"{summary.number}: request recorded."


class StatusUpdateDialog(_MailAnswer):
    title = "Post a status update"
    done_text = ": status update recorded"
    recorded_intro = (
        "Record a status update you posted on the status page or sent to one of the "
        "customer's designated email contacts from your own mail program; each is recorded "
        "with its channel and recipient."
    )
    intro = recorded_intro
    recorded_ok = "Record update"
    sent_ok = "Send update"
    ok_text = recorded_ok
    ok_icon = "mdi6.bullhorn-outline"

    def _build_fields(self) -> None:
        self.email = QRadioButton("Email to a designated contact")
        self.status_page = QRadioButton("Status page")
        self.channel_group = QButtonGroup(self)
        self.channel_group.addButton(self.email)
        self.channel_group.addButton(self.status_page)
        self.email.setChecked(True)
        sending = self.draft is not None
        self.recipient = self._sending_recipient_box() if sending else recipient_box(self.details)
        self.text = text_box("Where things stand and when the next update comes")
        self.add_field("channel", "&Channel", stack(self.email, self.status_page))
        self.add_field(
            "recipient", "&To", self.recipient, "The reporting contact unless you choose another."
        )
        self.form.addRow("", self.mail_line)
        self.add_field("text", "&Update", self.text)
        self.email.toggled.connect(self.recipient.setEnabled)
        self.email.toggled.connect(self._show_mode)
        self.recipient.currentIndexChanged.connect(self._show_mode)
        self._show_mode()
        self.text.setFocus()

    def _by_email(self) -> bool:
        return self.email.isChecked()

    def done_message(self, summary: IncidentSummary) -> str:
        number = summary.number
        if self.sends:
            return f"{number}: status update in the outbox; it counts once the server accepts it."
        return f"{number}{self.done_text}."

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        by_email = self.email.isChecked()
        channel = UpdateChannel.EMAIL if by_email else UpdateChannel.STATUS_PAGE
        recipient = self._recipient() if by_email else ""
        text = self.text.toPlainText()
        outbox = self._outbox
        if self.sends and outbox is not None:
            return lambda: outbox.post_update(incident, text, recipient)
        return lambda: service.post_status_update(incident, channel, recipient, text)
