"""What the vendor tells the customer: a response, or a status update.

Both offer the customer's designated addresses (the support list in order, then the account
manager) and start on the reporting contact's.
"""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QComboBox, QRadioButton

from console.domain.events import Channel, UpdateChannel
from console.services.incidents import IncidentDetails
from console.ui.incident.action_dialog import ActionDialog, Call, stack, text_box

_RESPONSE_CHANNELS = (
    (Channel.EMAIL, "Email"),
    (Channel.PHONE, "Phone"),
    (Channel.WEB, "Web portal"),
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


class RespondDialog(ActionDialog):
    title = "Respond"
    done_text = ": response recorded"
    intro = (
        "Record the response you gave the customer (by phone, or by mail from your own mail "
        "program: the console does not send it). The first one meets the first-response "
        "target; a response also stops the clock of the current escalation level."
    )
    ok_text = "Record response"
    ok_icon = "mdi6.reply"

    def _build_fields(self) -> None:
        self.channel = response_channel_box()
        self.recipient = recipient_box(self.details)
        self.text = text_box("What you told the customer")
        self.add_field("channel", "&Channel", self.channel)
        self.add_field("recipient", "&To", self.recipient, "Defaults to the reporting contact.")
        self.add_field("text", "&Response", self.text)
        self.text.setFocus()

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        text, channel = self.text.toPlainText(), str(self.channel.currentData())
        recipient = self.recipient.currentText()
        return lambda: service.respond(incident, text, channel, recipient)


class StatusUpdateDialog(ActionDialog):
    title = "Post a status update"
    done_text = ": status update recorded"
    intro = (
        "Record a status update you posted on the status page or sent to one of the "
        "customer's designated email contacts (the console does not send it); each is "
        "recorded with its channel and recipient."
    )
    ok_text = "Record update"
    ok_icon = "mdi6.bullhorn-outline"

    def _build_fields(self) -> None:
        self.email = QRadioButton("Email to a designated contact")
        self.status_page = QRadioButton("Status page")
        self.channel_group = QButtonGroup(self)
        self.channel_group.addButton(self.email)
        self.channel_group.addButton(self.status_page)
        self.email.setChecked(True)
        self.recipient = recipient_box(self.details)
        self.text = text_box("Where things stand and when the next update comes")
        self.add_field("channel", "&Channel", stack(self.email, self.status_page))
        self.add_field(
            "recipient", "&To", self.recipient, "The reporting contact unless you choose another."
        )
        self.add_field("text", "&Update", self.text)
        self.email.toggled.connect(self.recipient.setEnabled)
        self.text.setFocus()

    def call(self) -> Call:
        service, incident = self._service, self.incident_id
        by_email = self.email.isChecked()
        channel = UpdateChannel.EMAIL if by_email else UpdateChannel.STATUS_PAGE
        recipient = self.recipient.currentText() if by_email else ""
        text = self.text.toPlainText()
        return lambda: service.post_status_update(incident, channel, recipient, text)
