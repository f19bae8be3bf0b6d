//! The buyer's rights of access and of portability (Law 91/2025/QH15): what the shop holds
//! about a signed-in buyer, who received it and who opened it (the access view), and
//! everything the buyer entered or the shop recorded about them in one document to take
//! elsewhere (the export), as JSON or as a ZIP of CSV files. `docs/export.md` describes every
//! field.
//!
//! Both cover the account and every guest buyer record made with its address (they share the
//! address's email blind index), and those records' orders. The access view holds no personal
//! value. The export does, and goes only to the signed-in owner: the buyer records' contact
//! details and the orders' delivery details and notes are opened through the gate
//! ([`Gate::open_linked_orders`]) for answering the buyer's request, audited like any opening,
//! so every export is itself in the next export's accesses. Staff appear by role only, never
//! by name.

use crate::accounts::Session;
use crate::Clock;
use hanjinbi_domain::clock_text::vietnam_time_machine;
use hanjinbi_domain::Localized;
use hanjinbi_privacy::gate::{items, Gate, GateError, LinkedOrder};
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::{self as rules, Actor, DataCategory, Language, Policy, PurposeId};
use hanjinbi_store::accounts::AccountRow;
use hanjinbi_store::export::{self, ExportLineRow, ExportStatusRow, SubjectAuditRow};
use hanjinbi_store::subjects::ConsentRow;
use hanjinbi_store::{Db, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use thiserror::Error;

/// The version of the export's layout; a change to a field's meaning or a removed field
/// raises it.
pub const FORMAT_VERSION: u32 = 1;

/// The CSV files of the archive, in the order they are written.
pub const CSV_FILES: [&str; 6] = [
    "profile.csv",
    "orders.csv",
    "order_lines.csv",
    "status_history.csv",
    "consents.csv",
    "accesses.csv",
];

/// The byte order mark that starts every CSV file, so that spreadsheet apps read it as UTF-8
/// and show Vietnamese as written.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error("a stored value cannot be exported: {0}")]
    Corrupt(String),
    #[error("the archive could not be written: {0}")]
    Archive(String),
}

/// What the shop holds about the buyer, who received it and who opened it. No personal value.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessView {
    /// When this view was made (RFC 3339, Vietnam's time).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub generated_at: String,
    /// The version of the privacy policy whose rules are quoted here.
    pub policy_version: String,
    /// Every category of personal data the shop holds about the buyer, in the policy's order.
    pub categories: Vec<HeldCategory>,
    /// Who received the buyer's data outside the shop. Nothing is handed out yet.
    pub disclosures: Vec<Disclosure>,
    /// Everything recorded about the buyer's data in the audit log, oldest first.
    pub accesses: Vec<Access>,
}

/// A category of personal data held about the buyer, with the policy's rules for it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldCategory {
    /// The policy's code: contact, identity, address, account, transaction, support,
    /// behaviour.
    pub category: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Localized))]
    pub label: Localized,
    #[cfg_attr(feature = "openapi", schema(value_type = Localized))]
    pub description: Localized,
    /// Where the shop holds it: account (the account record), checkout (the buyer records
    /// of guest checkouts), orders (delivery details, notes, lines and amounts), consents.
    pub held_in: Vec<String>,
    pub retention: RetentionRule,
    /// The purposes that may read the category, and who may act for each.
    pub purposes: Vec<PurposeUse>,
}

/// How long a category is kept, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionRule {
    /// until_erasure, days, after_financial_year, or after_last_order.
    pub kind: String,
    /// For `days`: deleted this many days after it was collected.
    pub days: Option<u32>,
    /// For `after_financial_year`: kept this many whole years after the end of the financial
    /// year of the transaction. For `after_last_order`: kept this many whole years after the
    /// last order placed with the address, unless a verified account holds it.
    pub years: Option<u32>,
    /// The rule in words.
    #[cfg_attr(feature = "openapi", schema(value_type = Localized))]
    pub text: Localized,
    #[cfg_attr(feature = "openapi", schema(value_type = Localized))]
    pub reason: Localized,
}

/// A purpose that may read a category.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurposeUse {
    /// The policy's code, e.g. order_fulfilment.
    pub purpose: String,
    /// The legal basis: contract, consent, legal_obligation, legitimate_protection.
    pub basis: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Localized))]
    pub label: Localized,
    /// Whether the purpose reads the data only with the buyer's consent.
    pub needs_consent: bool,
    /// Who may act for it: buyer, system, or a staff role.
    pub actors: Vec<String>,
}

/// A disclosure of the buyer's data to a recipient outside the shop.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// The policy's recipient kind, e.g. carrier.
    pub recipient: String,
    /// The fields handed over, e.g. name, phone, address.
    pub fields: Vec<String>,
    /// The ground: contract, consent, legal_request, protection.
    pub basis: String,
}

/// One entry of the audit log about the buyer's data: who acted, for what, on which fields
/// (names only) of which record.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Access {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// The role the policy judged: buyer, system, or a staff role.
    pub actor: String,
    /// Who acted, as far as the buyer may know: account (the buyer, signed in), order_link
    /// (the buyer, with the order's link or a one-time code), checkout (the checkout that
    /// made the record), system:<job> (an automatic job of the shop, e.g.
    /// system:outbox-mailer), or the staff role alone.
    pub by: String,
    /// The purpose, as the policy names it.
    pub purpose: String,
    /// open, deny, seal, consent, share, erase, …
    pub action: String,
    /// The fields concerned, never their values.
    pub fields: Vec<String>,
    /// Which record: account, or checkout (a guest buyer record).
    pub record: String,
    /// The orders placed with that record.
    pub order_numbers: Vec<String>,
}

/// Everything the buyer entered or the shop recorded about them, for the buyer alone. It and
/// its parts that hold personal values have no `Debug`, so that no log line can print them.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DataExport))]
pub struct ExportDocument {
    /// The layout's version: 1.
    pub format_version: u32,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub generated_at: String,
    /// The privacy policy in force when the document was made.
    pub policy_version: String,
    pub profile: ExportProfile,
    /// Saved delivery addresses. None are stored yet.
    pub addresses: Vec<SavedAddress>,
    /// Optional details of the profile. None are stored yet.
    pub optional_details: Vec<OptionalDetail>,
    /// Every order placed with the account's address, oldest first.
    pub orders: Vec<ExportOrder>,
    /// Every consent decision of the account and of the guest records, oldest first.
    pub consents: Vec<ExportConsent>,
    /// Messages between the buyer and the shop. None are stored yet.
    pub messages: Vec<ExportMessage>,
    /// Who received the data outside the shop. Nothing is handed out yet.
    pub disclosures: Vec<Disclosure>,
    /// As in the access view, this export's own openings included.
    pub accesses: Vec<Access>,
}

/// The account.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportProfile {
    #[cfg_attr(feature = "openapi", schema(format = Email))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub verified_at: Option<String>,
    /// The language of the account's emails: vi or en.
    pub lang: String,
}

/// A saved delivery address.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedAddress {
    pub label: String,
    pub address: ExportAddress,
}

/// An optional detail of the profile, by name.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionalDetail {
    pub name: String,
    pub value: String,
}

/// A message between the buyer and the shop.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportMessage {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// from_buyer or to_buyer.
    pub direction: String,
    pub subject: String,
    pub body: String,
}

/// A recipient and where they are.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportAddress {
    pub name: String,
    /// +84…
    pub phone: String,
    /// House number, street, hamlet.
    pub street: String,
    pub ward_code: String,
    pub ward: String,
    pub province_code: String,
    pub province: String,
}

/// The contact details given with a checkout.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportBuyer {
    #[cfg_attr(feature = "openapi", schema(format = Email))]
    pub email: String,
    pub name: String,
    pub phone: String,
}

/// An order, as placed and as it went on.
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportOrder {
    pub number: String,
    /// The order's status now.
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub placed_at: String,
    /// The language it was placed in: vi or en.
    pub lang: String,
    /// present, or erased (the record's key was destroyed: `buyer`, `ship_to` and `note` are
    /// gone for good, the transaction data is kept as the law requires).
    pub personal_data: String,
    /// The contact details given at checkout.
    pub buyer: Option<ExportBuyer>,
    /// Where it was delivered.
    pub ship_to: Option<ExportAddress>,
    /// The buyer's note, if any.
    pub note: Option<String>,
    pub lines: Vec<ExportLine>,
    /// In đồng.
    pub subtotal: i64,
    /// In đồng.
    pub shipping_fee: i64,
    /// In đồng.
    pub total: i64,
    /// VND.
    pub currency: String,
    /// standard or express.
    pub shipping_method: String,
    /// cash_on_delivery or bank_transfer.
    pub payment_method: String,
    /// The privacy policy the buyer was shown when ordering.
    pub policy_version: String,
    /// Every status the order took, oldest first.
    pub history: Vec<ExportStatus>,
}

/// A line of an order, with the names it was sold under.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportLine {
    pub sku: String,
    pub product_slug: String,
    pub product_name: String,
    pub variant_label: String,
    /// `null` for orders placed before English names were recorded.
    pub product_name_en: Option<String>,
    pub variant_label_en: Option<String>,
    /// In đồng.
    pub unit_price: i64,
    pub quantity: i64,
    /// In đồng.
    pub line_total: i64,
}

/// A status an order took.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportStatus {
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// The role that made the change: buyer, system, or a staff role.
    pub by: String,
}

/// A consent decision, with the words the buyer was shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportConsent {
    /// Which record it was given for: account, or checkout.
    pub record: String,
    /// The orders placed with that record.
    pub order_numbers: Vec<String>,
    pub purpose: String,
    /// Given (true) or refused or withdrawn (false).
    pub granted: bool,
    /// Given by someone who had proved control of the address.
    pub verified: bool,
    pub policy_version: String,
    /// The exact words shown.
    pub wording: String,
    /// Where: web, api, account, …
    pub channel: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
}

/// The access view and the export of a signed-in buyer.
#[derive(Clone)]
pub struct Export {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
}

/// What an export opens of each order and its buyer record.
type Opened = (
    items::BuyerEmail,
    items::BuyerName,
    items::BuyerPhone,
    items::ShipTo,
    items::Note,
);

fn time(secs: i64) -> Result<String, ExportError> {
    vietnam_time_machine(secs)
        .ok_or_else(|| ExportError::Corrupt(format!("the time {secs} cannot be written as a date")))
}

/// Times as the documents write them, each second written once: an order's placing, its first
/// status, its consents and the audit entries of its checkout share theirs.
#[derive(Default)]
struct Times(HashMap<i64, String>);

impl Times {
    fn of(&mut self, secs: i64) -> Result<String, ExportError> {
        if let Some(written) = self.0.get(&secs) {
            return Ok(written.clone());
        }
        let written = time(secs)?;
        self.0.insert(secs, written.clone());
        Ok(written)
    }
}

fn localized(text: &rules::Localized) -> Localized {
    Localized {
        vi: text.vi().to_owned(),
        en: text.en().to_owned(),
    }
}

impl Export {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate) -> Export {
        Export { db, clock, gate }
    }

    /// What the shop holds about the buyer of `session`, who received it and who opened it.
    /// Opens nothing.
    pub async fn access(&self, session: &Session) -> Result<AccessView, ExportError> {
        let now = self.clock.now();
        let records = Records::read(&self.db, &session.account).await?;
        let (consents, audit) = tokio::try_join!(
            export::consents_of(&self.db, &records.subjects),
            export::audit_of(&self.db, &records.subjects, 0),
        )?;
        let holdings = Holdings {
            checkouts: records.subjects.len() > 1,
            orders: records
                .checkouts
                .values()
                .any(|numbers| !numbers.is_empty()),
            consents: !consents.is_empty(),
        };
        let mut times = Times::default();
        Ok(AccessView {
            generated_at: times.of(now)?,
            policy_version: self.gate.policy().version().to_owned(),
            categories: held_categories(self.gate.policy(), holdings),
            disclosures: Vec::new(),
            accesses: accesses(&audit, &records, &mut times)?,
        })
    }

    /// Everything the shop holds about the buyer of `session`, personal values included: the
    /// account's address, and each order's buyer details, delivery details and note, opened
    /// for answering the buyer's request (one audit entry per record opened).
    pub async fn export(&self, session: &Session) -> Result<ExportDocument, ExportError> {
        let now = self.clock.now();
        let principal = &session.principal;
        let account = &session.account;
        let purpose = PurposeId::AnsweringRequests;
        let gate = &self.gate;
        let db = &self.db;
        // The openings, and meanwhile every read that does not depend on them.
        let (linked, email, (records, consents, mut audit), lines, history) = tokio::try_join!(
            async {
                let linked = gate
                    .open_linked_orders::<Opened>(principal, purpose, now)
                    .await?;
                Ok::<_, ExportError>(linked)
            },
            async {
                let email = gate
                    .open::<items::AccountEmail>(principal, purpose, now)
                    .await?;
                Ok::<_, ExportError>(email)
            },
            async {
                let records = Records::read(db, account).await?;
                let (consents, audit) = tokio::try_join!(
                    export::consents_of(db, &records.subjects),
                    export::audit_of(db, &records.subjects, 0),
                )?;
                Ok::<_, ExportError>((records, consents, audit))
            },
            async { Ok::<_, ExportError>(export::lines_of_email(db, &account.email_index).await?) },
            async {
                Ok::<_, ExportError>(export::history_of_email(db, &account.email_index).await?)
            },
        )?;
        // The entries written since that read, the openings above among them.
        let read_up_to = audit.last().map_or(0, |entry| entry.seq);
        audit.extend(export::audit_of(db, &records.subjects, read_up_to).await?);

        let mut times = Times::default();
        let mut lines = group(lines, |l: &ExportLineRow| &l.order_id);
        let mut history = group(history, |h: &ExportStatusRow| &h.order_id);
        let orders = linked
            .into_iter()
            .map(|linked| {
                let lines = lines.remove(&linked.order.id).unwrap_or_default();
                let history = history.remove(&linked.order.id).unwrap_or_default();
                export_order(linked, lines, history, &mut times)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let consents = consents
            .iter()
            .map(|c| export_consent(c, &records, &mut times))
            .collect::<Result<_, _>>()?;
        let accesses = accesses(&audit, &records, &mut times)?;
        Ok(ExportDocument {
            format_version: FORMAT_VERSION,
            generated_at: times.of(now)?,
            policy_version: self.gate.policy().version().to_owned(),
            profile: ExportProfile {
                email: email.expose().to_owned(),
                created_at: times.of(account.created_at)?,
                verified_at: account.verified_at.map(|at| times.of(at)).transpose()?,
                lang: account.lang.clone(),
            },
            addresses: Vec::new(),
            optional_details: Vec::new(),
            orders,
            consents,
            messages: Vec::new(),
            disclosures: Vec::new(),
            accesses,
        })
    }
}

/// Rows by the order they belong to, in the order read.
fn group<T>(rows: Vec<T>, order_of: impl Fn(&T) -> &String) -> HashMap<String, Vec<T>> {
    let mut grouped: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        let order = order_of(&row).clone();
        grouped.entry(order).or_default().push(row);
    }
    grouped
}

fn export_address(details: &DeliveryDetails) -> Result<ExportAddress, ExportError> {
    let place = details.place();
    // The codes are part of an address: the message names none.
    let unknown = || ExportError::Corrupt("an order's delivery place is not a known ward".into());
    Ok(ExportAddress {
        name: details.name().expose().to_owned(),
        phone: details.phone().expose().to_owned(),
        street: details.line().expose().to_owned(),
        ward_code: place.ward_code.clone(),
        ward: place.ward().ok_or_else(unknown)?.name.clone(),
        province_code: place.province_code.clone(),
        province: place.province().ok_or_else(unknown)?.name.clone(),
    })
}

type OpenedValues = <Opened as hanjinbi_privacy::gate::Request>::Plain;

fn export_order(
    linked: LinkedOrder<OpenedValues>,
    lines: Vec<ExportLineRow>,
    history: Vec<ExportStatusRow>,
    times: &mut Times,
) -> Result<ExportOrder, ExportError> {
    let LinkedOrder { order, opened } = linked;
    let (personal_data, buyer, ship_to, note) = match opened {
        Some((email, name, phone, ship_to, note)) => (
            "present",
            Some(ExportBuyer {
                email: email.expose().to_owned(),
                name: name.expose().to_owned(),
                phone: phone.expose().to_owned(),
            }),
            Some(export_address(&ship_to)?),
            note.map(|n| n.expose().to_owned()),
        ),
        None => ("erased", None, None, None),
    };
    Ok(ExportOrder {
        number: order.number,
        status: order.status,
        placed_at: times.of(order.placed_at)?,
        lang: order.lang,
        personal_data: personal_data.to_owned(),
        buyer,
        ship_to,
        note,
        lines: lines
            .into_iter()
            .map(|l| ExportLine {
                sku: l.sku,
                product_slug: l.product_slug,
                product_name: l.product_name,
                variant_label: l.variant_label,
                product_name_en: l.product_name_en,
                variant_label_en: l.variant_label_en,
                unit_price: l.unit_price,
                quantity: l.quantity,
                line_total: l.line_total,
            })
            .collect(),
        subtotal: order.subtotal,
        shipping_fee: order.shipping_fee,
        total: order.total,
        currency: "VND".to_owned(),
        shipping_method: order.shipping_method,
        payment_method: order.payment_method,
        policy_version: order.policy_version,
        history: history
            .into_iter()
            .map(|h| {
                Ok(ExportStatus {
                    status: h.status,
                    at: times.of(h.at)?,
                    by: h.actor,
                })
            })
            .collect::<Result<_, ExportError>>()?,
    })
}

fn export_consent(
    c: &ConsentRow,
    records: &Records,
    times: &mut Times,
) -> Result<ExportConsent, ExportError> {
    let (record, order_numbers) = records.describe(&c.subject_id);
    Ok(ExportConsent {
        record: record.to_owned(),
        order_numbers,
        purpose: c.purpose.clone(),
        granted: c.granted,
        verified: c.verified,
        policy_version: c.policy_version.clone(),
        wording: c.wording.clone(),
        channel: c.channel.clone(),
        at: times.of(c.at)?,
    })
}

/// The data subjects of a buyer: the account first, then the guest buyer records of its
/// address, oldest first, with the numbers of the orders placed with each.
struct Records {
    account_subject: String,
    checkouts: HashMap<String, Vec<String>>,
    subjects: Vec<String>,
}

impl Records {
    async fn read(db: &Db, account: &AccountRow) -> Result<Records, StoreError> {
        let rows = export::subjects_of_email(db, &account.email_index).await?;
        let mut subjects = vec![account.subject_id.clone()];
        let mut checkouts: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let numbers = checkouts.entry(row.subject_id.clone()).or_insert_with(|| {
                subjects.push(row.subject_id.clone());
                Vec::new()
            });
            numbers.extend(row.order_number);
        }
        Ok(Records {
            account_subject: account.subject_id.clone(),
            checkouts,
            subjects,
        })
    }

    /// Which record `subject` is (account or checkout) and the orders placed with it.
    fn describe(&self, subject: &str) -> (&'static str, Vec<String>) {
        if subject == self.account_subject {
            ("account", Vec::new())
        } else {
            (
                "checkout",
                self.checkouts.get(subject).cloned().unwrap_or_default(),
            )
        }
    }
}

/// Who acted, as the buyer may know it: the buyer's own ways in and the shop's jobs by name,
/// staff (and any role this code does not know) by role alone.
fn acted_by(who: &str, actor: &str) -> String {
    match Actor::parse(actor) {
        Some(Actor::Buyer | Actor::System) => {
            if let Some(job) = who.strip_prefix("system:") {
                let job = job.split_once('/').map_or(job, |(job, _)| job);
                format!("system:{job}")
            } else if who.starts_with("account:") {
                "account".to_owned()
            } else if who.starts_with("order:") {
                "order_link".to_owned()
            } else if who.starts_with("cart:") {
                "checkout".to_owned()
            } else {
                actor.to_owned()
            }
        }
        _ => actor.to_owned(),
    }
}

fn accesses(
    audit: &[SubjectAuditRow],
    records: &Records,
    times: &mut Times,
) -> Result<Vec<Access>, ExportError> {
    audit
        .iter()
        .map(|row| {
            let (record, order_numbers) = records.describe(&row.subject);
            Ok(Access {
                at: times.of(row.at)?,
                actor: row.actor.clone(),
                by: acted_by(&row.who, &row.actor),
                purpose: row.purpose.clone(),
                action: row.action.clone(),
                fields: row
                    .fields
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect(),
                record: record.to_owned(),
                order_numbers,
            })
        })
        .collect()
}

/// Which kinds of records the shop holds for the buyer, besides the account itself.
#[derive(Debug, Clone, Copy)]
struct Holdings {
    /// Buyer records of guest checkouts (email, name, phone).
    checkouts: bool,
    /// Orders (delivery details, notes, lines and amounts).
    orders: bool,
    /// Consent decisions.
    consents: bool,
}

/// Where each category is held, given what the buyer has; empty: not held.
fn held_in(category: DataCategory, h: Holdings) -> Vec<String> {
    let mut places = Vec::new();
    let mut add = |held: bool, place: &str| {
        if held {
            places.push(place.to_owned());
        }
    };
    match category {
        // The account's address; a checkout's email and phone; a recipient's phone.
        DataCategory::Contact => {
            add(true, "account");
            add(h.checkouts, "checkout");
            add(h.orders, "orders");
        }
        // A checkout's name; a recipient's name.
        DataCategory::Identity => {
            add(h.checkouts, "checkout");
            add(h.orders, "orders");
        }
        DataCategory::Address => add(h.orders, "orders"),
        // Sign-in details, settings, consent choices.
        DataCategory::Account => {
            add(true, "account");
            add(h.consents, "consents");
        }
        DataCategory::Transaction => add(h.orders, "orders"),
        // Nothing collects messages or browsing yet.
        DataCategory::Support | DataCategory::Behaviour => {}
    }
    places
}

fn retention_rule(policy: &Policy, rule: &rules::CategoryRule) -> RetentionRule {
    let retention = rule.retention();
    let (kind, days, years) = match retention {
        rules::Retention::UntilErasure => ("until_erasure", None, None),
        rules::Retention::Days(days) => ("days", Some(days.get()), None),
        rules::Retention::AfterFinancialYear { years, .. } => {
            ("after_financial_year", None, Some(years.get()))
        }
        rules::Retention::AfterLastOrder { years } => ("after_last_order", None, Some(years.get())),
    };
    RetentionRule {
        kind: kind.to_owned(),
        days,
        years,
        text: Localized {
            vi: policy.describe_retention(retention, Language::Vi),
            en: policy.describe_retention(retention, Language::En),
        },
        reason: localized(rule.retention_reason()),
    }
}

fn held_categories(policy: &Policy, holdings: Holdings) -> Vec<HeldCategory> {
    policy
        .categories()
        .filter_map(|rule| {
            let category = rule.category();
            let held_in = held_in(category, holdings);
            if held_in.is_empty() {
                return None;
            }
            Some(HeldCategory {
                category: category.code().to_owned(),
                label: localized(rule.label()),
                description: localized(rule.description()),
                held_in,
                retention: retention_rule(policy, rule),
                purposes: policy
                    .purposes()
                    .filter(|p| p.may_read(category))
                    .map(|p| PurposeUse {
                        purpose: p.id().code().to_owned(),
                        basis: p.basis().code().to_owned(),
                        label: localized(p.label()),
                        needs_consent: p.needs_consent(),
                        actors: p.actors().iter().map(|a| a.code().to_owned()).collect(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The ZIP entry time of the document: when it was made, in Vietnam's time (ZIP times carry
/// no zone).
fn zip_time(generated_at: &str) -> Result<zip::DateTime, ExportError> {
    let bad = || ExportError::Archive(format!("the time {generated_at:?} is not RFC 3339"));
    let part = |range: std::ops::Range<usize>| -> Result<u16, ExportError> {
        generated_at
            .get(range)
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(bad)
    };
    let small =
        |range| -> Result<u8, ExportError> { u8::try_from(part(range)?).map_err(|_| bad()) };
    zip::DateTime::from_date_and_time(
        part(0..4)?,
        small(5..7)?,
        small(8..10)?,
        small(11..13)?,
        small(14..16)?,
        small(17..19)?,
    )
    .map_err(|_| bad())
}

/// One CSV file: the byte order mark, a header, the rows.
fn csv_file(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, ExportError> {
    let archive = |e: csv::Error| ExportError::Archive(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    writer.write_record(header).map_err(archive)?;
    for row in rows {
        writer.write_record(&row).map_err(archive)?;
    }
    writer
        .into_inner()
        .map_err(|e| ExportError::Archive(e.to_string()))
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// The document as a ZIP of CSV files, one per table ([`CSV_FILES`]), each UTF-8 with a byte
/// order mark; lists within a cell are comma separated, absent values empty.
pub fn archive(doc: &ExportDocument) -> Result<Vec<u8>, ExportError> {
    let p = &doc.profile;
    let profile = csv_file(
        &["email", "created_at", "verified_at", "lang"],
        vec![vec![
            p.email.clone(),
            p.created_at.clone(),
            text(&p.verified_at),
            p.lang.clone(),
        ]],
    )?;
    let orders = csv_file(
        &[
            "number",
            "status",
            "placed_at",
            "lang",
            "personal_data",
            "buyer_email",
            "buyer_name",
            "buyer_phone",
            "ship_to_name",
            "ship_to_phone",
            "ship_to_street",
            "ship_to_ward_code",
            "ship_to_ward",
            "ship_to_province_code",
            "ship_to_province",
            "note",
            "subtotal",
            "shipping_fee",
            "total",
            "currency",
            "shipping_method",
            "payment_method",
            "policy_version",
        ],
        doc.orders
            .iter()
            .map(|o| {
                let buyer = |f: fn(&ExportBuyer) -> &String| o.buyer.as_ref().map(f).cloned();
                let ship = |f: fn(&ExportAddress) -> &String| o.ship_to.as_ref().map(f).cloned();
                vec![
                    o.number.clone(),
                    o.status.clone(),
                    o.placed_at.clone(),
                    o.lang.clone(),
                    o.personal_data.clone(),
                    text(&buyer(|b| &b.email)),
                    text(&buyer(|b| &b.name)),
                    text(&buyer(|b| &b.phone)),
                    text(&ship(|a| &a.name)),
                    text(&ship(|a| &a.phone)),
                    text(&ship(|a| &a.street)),
                    text(&ship(|a| &a.ward_code)),
                    text(&ship(|a| &a.ward)),
                    text(&ship(|a| &a.province_code)),
                    text(&ship(|a| &a.province)),
                    text(&o.note),
                    o.subtotal.to_string(),
                    o.shipping_fee.to_string(),
                    o.total.to_string(),
                    o.currency.clone(),
                    o.shipping_method.clone(),
                    o.payment_method.clone(),
                    o.policy_version.clone(),
                ]
            })
            .collect(),
    )?;
    let lines = csv_file(
        &[
            "order_number",
            "position",
            "sku",
            "product_slug",
            "product_name",
            "variant_label",
            "product_name_en",
            "variant_label_en",
            "unit_price",
            "quantity",
            "line_total",
        ],
        doc.orders
            .iter()
            .flat_map(|o| {
                o.lines.iter().enumerate().map(|(i, l)| {
                    vec![
                        o.number.clone(),
                        (i + 1).to_string(),
                        l.sku.clone(),
                        l.product_slug.clone(),
                        l.product_name.clone(),
                        l.variant_label.clone(),
                        text(&l.product_name_en),
                        text(&l.variant_label_en),
                        l.unit_price.to_string(),
                        l.quantity.to_string(),
                        l.line_total.to_string(),
                    ]
                })
            })
            .collect(),
    )?;
    let history = csv_file(
        &["order_number", "status", "at", "by"],
        doc.orders
            .iter()
            .flat_map(|o| {
                o.history.iter().map(|h| {
                    vec![
                        o.number.clone(),
                        h.status.clone(),
                        h.at.clone(),
                        h.by.clone(),
                    ]
                })
            })
            .collect(),
    )?;
    let consents = csv_file(
        &[
            "record",
            "order_numbers",
            "purpose",
            "granted",
            "verified",
            "policy_version",
            "wording",
            "channel",
            "at",
        ],
        doc.consents
            .iter()
            .map(|c| {
                vec![
                    c.record.clone(),
                    c.order_numbers.join(","),
                    c.purpose.clone(),
                    c.granted.to_string(),
                    c.verified.to_string(),
                    c.policy_version.clone(),
                    c.wording.clone(),
                    c.channel.clone(),
                    c.at.clone(),
                ]
            })
            .collect(),
    )?;
    let accesses = csv_file(
        &[
            "at",
            "actor",
            "by",
            "purpose",
            "action",
            "fields",
            "record",
            "order_numbers",
        ],
        doc.accesses
            .iter()
            .map(|a| {
                vec![
                    a.at.clone(),
                    a.actor.clone(),
                    a.by.clone(),
                    a.purpose.clone(),
                    a.action.clone(),
                    a.fields.join(","),
                    a.record.clone(),
                    a.order_numbers.join(","),
                ]
            })
            .collect(),
    )?;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(&doc.generated_at)?)
        .unix_permissions(0o600);
    let zipped = |e: zip::result::ZipError| ExportError::Archive(e.to_string());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in CSV_FILES
        .into_iter()
        .zip([profile, orders, lines, history, consents, accesses])
    {
        zip.start_file(name, options).map_err(zipped)?;
        zip.write_all(&bytes)
            .map_err(|e| ExportError::Archive(e.to_string()))?;
    }
    Ok(zip.finish().map_err(zipped)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_are_named_by_role_and_the_buyer_and_jobs_by_their_way_in() {
        assert_eq!(acted_by("account:a1", "buyer"), "account");
        assert_eq!(acted_by("order:HJ0123456789", "buyer"), "order_link");
        assert_eq!(acted_by("cart:c1", "system"), "checkout");
        assert_eq!(
            acted_by("system:outbox-mailer/message:7", "system"),
            "system:outbox-mailer"
        );
        assert_eq!(
            acted_by("staff:lan-nguyen", "customer_care"),
            "customer_care"
        );
        assert_eq!(acted_by("staff:lan-nguyen", "someone_new"), "someone_new");
    }

    #[test]
    fn the_zip_time_is_the_document_time_in_vietnam() {
        let at = zip_time("2026-11-25T18:38:09+07:00").unwrap();
        assert_eq!(
            (
                at.year(),
                at.month(),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            ),
            (2026, 11, 25, 18, 38, 8)
        );
        assert!(zip_time("25/11/2026").is_err());
    }

    #[test]
    fn every_csv_file_starts_with_the_byte_order_mark_and_its_header() {
        let bytes = csv_file(&["a", "b"], vec![vec!["Hà Nội".into(), "x,y".into()]]).unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        assert_eq!(
            std::str::from_utf8(&bytes[UTF8_BOM.len()..]).unwrap(),
            "a,b\r\nHà Nội,\"x,y\"\r\n"
        );
    }
}
