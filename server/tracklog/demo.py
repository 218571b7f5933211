"""The `tracklog demo` account: believable CRM data, the same every time it is seeded."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from tracklog.auth.accounts import bcc_address, create_account, set_password
from tracklog.crm.records import default_pipeline
from tracklog.demo_tracking import seed_tracking
from tracklog.errors import Conflict
from tracklog.extensions import db
from tracklog.models import (
    Account,
    Activity,
    ActivityAssociation,
    Company,
    Contact,
    Deal,
    Pin,
    RecordAssociation,
    Stage,
    Ticket,
    User,
    utcnow,
)

DEMO_ACCOUNT = "Demo Sales"
DEMO_PASSWORD = "tracklog-demo"
DEMO_SEED = 20240917
DEMO_MAIL_DOMAIN = "demo.example"
DEMO_CURRENCY = "EUR"
TIMELINE_DAYS = 60

DEMO_USERS = (
    ("maria.lindqvist@demo.example", "Maria Lindqvist", "admin"),
    ("kenji.watanabe@demo.example", "Kenji Watanabe", "user"),
    ("grace.okafor@demo.example", "Grace Okafor", "user"),
    ("tom.becker@demo.example", "Tom Becker", "user"),
)

NAMES = {
    "sv": (
        ("Astrid", "Björn", "Elin", "Erik", "Ingrid", "Johan", "Karin", "Linnea", "Oskar", "Nils"),
        ("Andersson", "Bergström", "Eklund", "Holm", "Lindgren", "Nyström", "Sjöberg", "Åberg"),
    ),
    "ja": (
        ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Daiki", "Mei"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Yamamoto", "Nakamura", "Yoshida"),
    ),
    "en": (
        ("Olivia", "James", "Amelia", "Noah", "Priya", "Daniel", "Chloe", "Marcus", "Hannah"),
        ("Carter", "Nguyen", "Patel", "Brooks", "O'Neill", "Hughes", "Foster", "Reid", "Walsh"),
    ),
    "es": (
        ("Lucía", "Mateo", "Sofía", "Diego", "Valentina", "Javier", "Carmen"),
        ("García", "Martínez", "Rodríguez", "López", "Fernández", "Ruiz", "Navarro"),
    ),
    "de": (
        ("Jonas", "Lena", "Felix", "Mia", "Lukas", "Anna", "Jürgen"),
        ("Müller", "Schneider", "Fischer", "Weber", "Wagner", "Hoffmann"),
    ),
}

COMPANIES = (
    ("Northwind Traders", "northwind.example", ("en", "es"), "America/Chicago"),
    ("Fjällbacka Logistik AB", "fjallbacka-logistik.example", ("sv",), "Europe/Stockholm"),
    ("Sakura Robotics K.K.", "sakura-robotics.example", ("ja",), "Asia/Tokyo"),
    ("Initech", "initech.example", ("en",), "America/New_York"),
    ("Vasa Energi", "vasa-energi.example", ("sv", "en"), "Europe/Stockholm"),
    ("Kobayashi Ceramics", "kobayashi-ceramics.example", ("ja", "en"), "Asia/Tokyo"),
    ("Blue Harbor Foods", "blueharbor.example", ("en",), "Europe/London"),
    ("Meridian Health GmbH", "meridian-health.example", ("de", "en"), "Europe/Berlin"),
    ("Costa Verde Hoteles", "costaverde.example", ("es",), "Europe/Madrid"),
    ("Tidewater Analytics", "tidewater.example", ("en", "ja", "sv"), "America/Los_Angeles"),
)
CONTACTS_PER_COMPANY = 5
ADDRESS_PATTERNS = ("{first}.{last}", "{first}", "{f}{last}", "{first}_{last}")
DEMO_LEGAL_BASES = ("consent", "legitimate_interest")
CONTACTS_WITH_LEGAL_BASIS = 8

PRODUCTS = (
    "Annual licence",
    "Team expansion",
    "Onboarding package",
    "Support renewal",
    "Pilot project",
    "Enterprise upgrade",
    "Data migration",
    "Training days",
)
# Indexes into the Sales Pipeline's seven stages: every stage, some won, some lost.
DEAL_STAGES = (0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6)
THREAD_SUBJECTS = (
    "Intro call about {product}",
    "Questions about {product}",
    "Presentation of {product}",
    "Next steps for {product}",
    "Contract for {product}",
    "Signed: {product}",
    "Proposal for {product}",
)
OUTGOING_LINES = (
    "Thanks for your time today. Here is a short summary of what we discussed.",
    "As promised, I have put together the numbers for your team.",
    "Following up on my last message: do you have a few minutes this week?",
    "I have attached the updated proposal with the changes we agreed on.",
)
INCOMING_LINES = (
    "Thanks, this looks good. Could you send over a quote for the whole team?",
    "We are discussing it internally and will come back to you on Friday.",
    "Our finance team asked whether annual billing is possible.",
    "Could we move our call to next Tuesday afternoon?",
)
DEMO_LINKS = (
    ("https://demo.example/pricing", "our pricing"),
    ("https://demo.example/case-studies/logistics", "a customer story"),
    ("https://demo.example/security", "our security overview"),
)
NOTE_LINES = (
    "Call with {contact}: budget is approved, they want a pilot with ten seats first.",
    "{contact} prefers short calls on Tuesday mornings.",
    "Procurement needs our data processing agreement before signing.",
    "Met {contact} at the trade fair; strong interest in the reporting features.",
    "Competitor offered a lower price; we compete on support and integration.",
)
COMPANY_NOTES = (
    "Account plan: expand from the sales team to customer service next year.",
    "Renewal is handled by their procurement department, not by the team lead.",
)
TICKETS = (
    ("Cannot sign in after a password reset", 0),
    ("Invoice shows the wrong VAT number", 1),
    ("Export to CSV times out for large lists", 2),
    ("Add-in pane stays blank in Outlook on the web", 0),
    ("Please send a data processing agreement", 3),
)
RECORD_TYPES = {Contact: "contact", Company: "company", Deal: "deal", Ticket: "ticket"}

Record = Contact | Company | Deal | Ticket


@dataclass
class TimelineEntry:
    """An activity and the records whose timelines show it, with how and why."""

    activity: Activity
    placements: list[tuple[Record, str, str]] = field(default_factory=list)


@dataclass
class DealPlan:
    """A demo deal with its stage, company, contacts (the first is the main one) and product."""

    deal: Deal
    stage: Stage
    company: Company
    people: list[Contact]
    product: str


@dataclass
class TrackedMail:
    """An outgoing demo mail with the opens and clicks its recipient is meant to show."""

    activity: Activity
    recipient: Contact
    opens_after: list[timedelta]
    clicked_urls: list[str]


def seed_demo() -> list[str]:
    """Create the demo account once; always answer with how to sign in to it."""
    account = db.session.scalar(select(Account).filter_by(name=DEMO_ACCOUNT))
    if account is not None:
        return sign_in_lines(account, created=False)
    refuse_taken_addresses()
    account = create_account(DEMO_ACCOUNT, DEMO_CURRENCY)
    try:
        DemoSeeder(account).run()
    except Exception:
        # A half-filled demo account would make every later run skip it; start clean instead.
        db.session.rollback()
        db.session.execute(delete(Account).where(Account.id == account.id))
        db.session.commit()
        raise
    return sign_in_lines(account, created=True)


def refuse_taken_addresses() -> None:
    """Stop before creating anything when a demo user's address belongs to another account."""
    emails = [email for email, _name, _role in DEMO_USERS]
    taken = db.session.scalar(select(User.email).where(User.email.in_(emails)).limit(1))
    if taken:
        raise Conflict(_("The demo user %(email)s already exists in another account.", email=taken))


def sign_in_lines(account: Account, *, created: bool) -> list[str]:
    """How to sign in: the URL, each demo user with the password, the logging BCC address."""
    query = select(User).filter_by(account_id=account.id).order_by(User.id)
    users = list(db.session.scalars(query))
    if created:
        first = _("Created the demo account %(name)s.", name=account.name)
    else:
        first = _("The demo account %(name)s already exists; nothing was added.", name=account.name)
    lines = [first, _("Sign in at %(url)s", url=current_app.config["BASE_URL"] + "/sign-in")]
    for user in users:
        line = _(
            "%(email)s (%(role)s), password: %(password)s",
            email=user.email,
            role=user.role,
            password=DEMO_PASSWORD,
        )
        lines.append("  " + line)
    lines.append(_("Logging BCC address: %(address)s", address=bcc_address(account)))
    return lines


def ascii_slug(text: str) -> str:
    """A name as it appears in a mail address: lower-case ASCII letters only."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def record_reference(record: Record) -> tuple[str, int]:
    """The (type, id) pair that associations use for a record."""
    return RECORD_TYPES[type(record)], record.id


class DemoSeeder:
    """Builds the demo rows of one new account from a fixed seed, in a few bulk inserts."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.rng = random.Random(DEMO_SEED)
        self.now = utcnow().replace(microsecond=0)
        self.users: list[User] = []
        self.companies: list[Company] = []
        self.contacts_by_company: dict[int, list[Contact]] = {}
        self.deals: list[DealPlan] = []
        self.tickets: list[tuple[Ticket, Contact]] = []
        self.timeline: list[TimelineEntry] = []
        self.tracked: list[TrackedMail] = []
        self.pins: list[tuple[Record, Activity]] = []
        self.message_count = 0

    def run(self) -> None:
        """Insert users, records, associations, timelines and pins; then tracking and tasks."""
        session = db.session
        session.add_all(self.build_users())
        session.flush()
        session.add_all(self.build_companies())
        session.flush()
        session.add_all(self.build_contacts())
        session.add_all(self.build_deals())
        session.add_all(self.build_tickets())
        session.flush()
        session.add_all(self.build_record_associations())
        self.build_timeline()
        session.add_all(entry.activity for entry in self.timeline)
        session.flush()
        session.add_all(self.build_activity_associations())
        session.add_all(self.build_pins())
        session.commit()
        seed_tracking(self)

    def ago(self, days: float) -> datetime:
        """A moment, to the second, this many days before the seeding time."""
        return (self.now - timedelta(days=days)).replace(microsecond=0)

    def user(self, user_id: int | None) -> User:
        """The demo user with this id."""
        return next(user for user in self.users if user.id == user_id)

    def company_of(self, person: Contact) -> Company:
        """The demo company a contact works at."""
        return next(company for company in self.companies if company.id == person.company_id)

    def build_users(self) -> list[User]:
        """The demo salespeople; the first is the admin."""
        self.users = [
            User(account_id=self.account.id, email=email, display_name=name, role=role)
            for email, name, role in DEMO_USERS
        ]
        set_password(self.users[0], DEMO_PASSWORD)
        # Hashing is slow on purpose and every demo user has the same password: hash it once.
        for user in self.users[1:]:
            user.password_hash = self.users[0].password_hash
        return self.users

    def build_companies(self) -> list[Company]:
        """Ten companies on reserved example domains, each owned by a user."""
        for index, (name, domain, _cultures, _zone) in enumerate(COMPANIES):
            created = self.ago(TIMELINE_DAYS + self.rng.uniform(10, 300))
            company = Company(
                account_id=self.account.id,
                name=name,
                domain=domain,
                owner_id=self.users[index % len(self.users)].id,
                created_at=created,
                updated_at=created,
            )
            self.companies.append(company)
        return self.companies

    def build_contacts(self) -> list[Contact]:
        """Five people at each company, named after the company's region."""
        contacts = []
        for company, (_name, domain, cultures, zone) in zip(self.companies, COMPANIES, strict=True):
            pattern = self.rng.choice(ADDRESS_PATTERNS)
            people: list[Contact] = []
            seen: set[str] = set()
            while len(people) < CONTACTS_PER_COMPANY:
                firsts, lasts = NAMES[self.rng.choice(cultures)]
                first, last = self.rng.choice(firsts), self.rng.choice(lasts)
                slug_first, slug_last = ascii_slug(first), ascii_slug(last)
                local = pattern.format(first=slug_first, last=slug_last, f=slug_first[0])
                if local in seen:
                    continue
                seen.add(local)
                people.append(self.contact(company, f"{local}@{domain}", first, last, zone))
            self.contacts_by_company[company.id] = people
            contacts.extend(people)
        for person in self.rng.sample(contacts, CONTACTS_WITH_LEGAL_BASIS):
            person.legal_basis = self.rng.choice(DEMO_LEGAL_BASES)
            if person.legal_basis == "consent":
                person.marketing_status = "marketing"
        return contacts

    def contact(self, company: Company, email: str, first: str, last: str, zone: str) -> Contact:
        """One person at a company, owned by the company's owner, not a marketing contact."""
        created = company.created_at + timedelta(days=self.rng.uniform(0, 40))
        return Contact(
            account_id=self.account.id,
            email=email,
            first_name=first,
            last_name=last,
            company_id=company.id,
            owner_id=company.owner_id,
            marketing_status="non_marketing",
            time_zone=zone,
            created_at=created,
            updated_at=created,
        )

    def build_deals(self) -> list[Deal]:
        """Fifteen deals over every stage of the Sales Pipeline, with amounts and close dates."""
        pipeline = default_pipeline(self.account.id, "deal")
        count = len(self.companies)
        companies = [self.companies[index % count] for index in range(len(DEAL_STAGES))]
        self.rng.shuffle(companies)
        used: set[tuple[int, str]] = set()
        for stage_index, company in zip(DEAL_STAGES, companies, strict=True):
            product = self.rng.choice([p for p in PRODUCTS if (company.id, p) not in used])
            used.add((company.id, product))
            stage = pipeline.stages[stage_index]
            people = self.rng.sample(self.contacts_by_company[company.id], self.rng.randint(1, 2))
            deal = Deal(
                account_id=self.account.id,
                name=f"{company.name} – {product}",
                pipeline_id=pipeline.id,
                stage_id=stage.id,
                amount=Decimal(self.rng.randrange(4, 240) * 500),
                close_date=self.close_date(stage.kind),
                owner_id=self.rng.choice((company.owner_id, company.owner_id, self.users[1].id)),
                created_at=self.ago(TIMELINE_DAYS + self.rng.uniform(0, 30)),
                updated_at=self.ago(self.rng.uniform(0, 3)),
            )
            self.deals.append(DealPlan(deal, stage, company, people, product))
        return [plan.deal for plan in self.deals]

    def close_date(self, kind: str) -> date:
        """Open deals close in the coming weeks; won and lost ones closed recently."""
        today = self.now.date()
        if kind == "open":
            return today + timedelta(days=self.rng.randint(7, 90))
        return today - timedelta(days=self.rng.randint(1, 20))

    def build_tickets(self) -> list[Ticket]:
        """A few support tickets across the ticket pipeline's statuses."""
        pipeline = default_pipeline(self.account.id, "ticket")
        for subject, stage_index in TICKETS:
            company = self.rng.choice(self.companies)
            requester = self.rng.choice(self.contacts_by_company[company.id])
            created = self.ago(self.rng.uniform(2, 30))
            ticket = Ticket(
                account_id=self.account.id,
                subject=subject,
                pipeline_id=pipeline.id,
                stage_id=pipeline.stages[stage_index].id,
                owner_id=self.rng.choice(self.users).id,
                created_at=created,
                updated_at=created,
            )
            self.tickets.append((ticket, requester))
        return [ticket for ticket, _requester in self.tickets]

    def build_record_associations(self) -> list[RecordAssociation]:
        """Contacts to their company, deals to their company and contacts, tickets to theirs."""
        links: list[tuple[Record, Record, str]] = []
        for company in self.companies:
            for person in self.contacts_by_company[company.id]:
                links.append((person, company, "works at this company"))
        for plan in self.deals:
            links.append((plan.deal, plan.company, "the deal is with this company"))
            links.extend((plan.deal, person, "contact on this deal") for person in plan.people)
        for ticket, requester in self.tickets:
            links.append((ticket, requester, "raised this ticket"))
            links.append((ticket, self.company_of(requester), "the requester works here"))
        associations = []
        for source, target, why in links:
            from_type, from_id = record_reference(source)
            to_type, to_id = record_reference(target)
            associations.append(
                RecordAssociation(
                    account_id=self.account.id,
                    from_type=from_type,
                    from_id=from_id,
                    to_type=to_type,
                    to_id=to_id,
                    source="manual",
                    why=why,
                )
            )
        return associations

    def build_timeline(self) -> None:
        """Mail threads and notes on deals, mail to other contacts and about tickets, notes."""
        deal_notes: list[tuple[DealPlan, Activity]] = []
        for plan in self.deals:
            self.deal_thread(plan)
            if self.rng.random() < 0.7:
                line = self.rng.choice(NOTE_LINES).format(contact=plan.people[0].name)
                note = self.note(line, plan.deal.owner_id, self.rng.uniform(1, 40), plan.deal)
                deal_notes.append((plan, note.activity))
        on_deals = {person.id for plan in self.deals for person in plan.people}
        others = [
            person
            for company in self.companies
            for person in self.contacts_by_company[company.id]
            if person.id not in on_deals
        ]
        for person in self.rng.sample(others, 12):
            self.single_mail(person)
        for person in self.rng.sample(others, 4):
            line = self.rng.choice(NOTE_LINES).format(contact=person.first_name)
            self.note(line, person.owner_id, self.rng.uniform(1, 55), person)
        for line, company in zip(COMPANY_NOTES, self.rng.sample(self.companies, 2), strict=True):
            note = self.note(line, company.owner_id, self.rng.uniform(1, 50), company)
            self.pins.append((company, note.activity))
        ticket_mails = [self.ticket_mail(ticket, requester) for ticket, requester in self.tickets]
        open_notes = [(plan, note) for plan, note in deal_notes if plan.stage.kind == "open"]
        if open_notes:
            plan, note = max(open_notes, key=lambda pair: pair[0].deal.amount)
            self.pins.append((plan.deal, note))
        self.pins.append((self.tickets[0][0], ticket_mails[0]))

    def deal_thread(self, plan: DealPlan) -> None:
        """Two to four mails between the deal's owner and its main contact, oldest first."""
        owner, person = self.user(plan.deal.owner_id), plan.people[0]
        started = self.rng.uniform(4, 40) if plan.stage.kind == "open" else self.rng.uniform(25, 55)
        subject = THREAD_SUBJECTS[plan.stage.order].format(product=plan.product)
        at = self.ago(started)
        thread_key = None
        for index in range(self.rng.randint(2, 4)):
            direction = "outgoing" if index % 2 == 0 else "incoming"
            title = subject if index == 0 else f"Re: {subject}"
            entry = self.email(owner, person, title, direction, min(at, self.ago(0.05)), thread_key)
            entry.placements.append((plan.deal, "manual", "explicitly selected"))
            thread_key = entry.activity.thread_key
            at += timedelta(minutes=self.rng.randint(180, 2880))

    def single_mail(self, person: Contact) -> None:
        """A check-in mail to a contact without a deal, sometimes answered."""
        owner = self.user(person.owner_id)
        subject = self.rng.choice(("Catching up", "Webinar follow-up", "Your question"))
        at = self.ago(self.rng.uniform(1, TIMELINE_DAYS - 2))
        first = self.email(owner, person, subject, "outgoing", at, None)
        if self.rng.random() < 0.4:
            reply_at = min(at + timedelta(minutes=self.rng.randint(120, 1800)), self.ago(0.05))
            thread_key = first.activity.thread_key
            self.email(owner, person, f"Re: {subject}", "incoming", reply_at, thread_key)

    def ticket_mail(self, ticket: Ticket, requester: Contact) -> Activity:
        """The mail that opened a support ticket, logged on the ticket by hand."""
        owner = self.user(ticket.owner_id)
        entry = self.email(owner, requester, ticket.subject, "incoming", ticket.created_at, None)
        entry.placements.append((ticket, "manual", "explicitly selected"))
        return entry.activity

    def email(
        self,
        owner: User,
        person: Contact,
        subject: str,
        direction: str,
        at: datetime,
        thread_key: str | None,
    ) -> TimelineEntry:
        """A logged mail on the contact's and its company's timelines."""
        self.message_count += 1
        message_id = f"<demo-{self.message_count}@{DEMO_MAIL_DOMAIN}>"
        html, text, link = self.mail_body(owner, person, direction)
        activity = Activity(
            account_id=self.account.id,
            type="email",
            subject=subject,
            body_html=html,
            body_text=text,
            occurred_at=at,
            owner_id=owner.id,
            message_id=message_id,
            thread_key=thread_key or message_id,
            direction=direction,
            created_at=at,
        )
        verb = "sent to" if direction == "outgoing" else "received from"
        placements: list[tuple[Record, str, str]] = [
            (person, "automatic", f"{verb} this contact"),
            (self.company_of(person), "automatic", f"{verb} a contact of this company"),
        ]
        entry = TimelineEntry(activity, placements)
        self.timeline.append(entry)
        if direction == "outgoing":
            self.plan_engagement(activity, person, link)
        return entry

    def mail_body(self, owner: User, person: Contact, direction: str) -> tuple[str, str, str]:
        """A short sanitised HTML body, its plain text and the link an outgoing mail carries."""
        rep, customer = owner.display_name.split()[0], person.first_name
        if direction == "incoming":
            line = self.rng.choice(INCOMING_LINES)
            html = (
                f"<p>Hi {escape(rep)},</p><p>{escape(line)}</p>"
                f"<p>Kind regards,<br>{escape(customer)}</p>"
            )
            return html, f"Hi {rep},\n\n{line}\n\nKind regards,\n{customer}", ""
        line = self.rng.choice(OUTGOING_LINES)
        url, label = self.rng.choice(DEMO_LINKS)
        html = (
            f"<p>Hi {escape(customer)},</p><p>{escape(line)}</p>"
            f'<p>Have a look at <a href="{url}">{escape(label)}</a>.</p>'
            f"<p>Best regards,<br>{escape(rep)}</p>"
        )
        text = f"Hi {customer},\n\n{line}\n\nHave a look at {label}: {url}\n\nBest regards,\n{rep}"
        return html, text, url

    def plan_engagement(self, activity: Activity, person: Contact, link: str) -> None:
        """Draw the opens and clicks an outgoing mail is to show, so later seeds stay stable."""
        count = self.rng.randint(0, 4)
        opens = sorted(timedelta(minutes=self.rng.randint(2, 2880)) for _draw in range(count))
        clicked = [link] if opens and self.rng.random() < 0.4 else []
        self.tracked.append(TrackedMail(activity, person, opens, clicked))

    def note(
        self, body: str, owner_id: int | None, days_ago: float, record: Record
    ) -> TimelineEntry:
        """A note written on one record's timeline."""
        at = self.ago(days_ago)
        activity = Activity(
            account_id=self.account.id,
            type="note",
            subject="",
            body_html=f"<p>{escape(body)}</p>",
            body_text=body,
            occurred_at=at,
            owner_id=owner_id,
            created_at=at,
        )
        entry = TimelineEntry(activity, [(record, "manual", "added on this record")])
        self.timeline.append(entry)
        return entry

    def build_activity_associations(self) -> list[ActivityAssociation]:
        """Every planned placement, with the activity's type and time copied for the timeline."""
        rows = []
        for entry in self.timeline:
            activity = entry.activity
            for record, source, why in entry.placements:
                record_type, record_id = record_reference(record)
                rows.append(
                    ActivityAssociation(
                        account_id=self.account.id,
                        activity_id=activity.id,
                        record_type=record_type,
                        record_id=record_id,
                        activity_type=activity.type,
                        occurred_at=activity.occurred_at,
                        source=source,
                        why=why,
                    )
                )
        return rows

    def build_pins(self) -> list[Pin]:
        """One pinned activity on a few records."""
        pins = []
        for record, activity in self.pins:
            record_type, record_id = record_reference(record)
            pinned_at = min(activity.occurred_at + timedelta(hours=1), self.now)
            pins.append(
                Pin(
                    account_id=self.account.id,
                    record_type=record_type,
                    record_id=record_id,
                    activity_id=activity.id,
                    pinned_by_id=activity.owner_id,
                    pinned_at=pinned_at,
                )
            )
        return pins
