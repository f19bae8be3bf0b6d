//! Checkout: turning a cart into an order in one transaction.
//!
//! The order, its lines at today's prices, the stock taken, the sealed buyer record, the
//! consents, their audit entries and the confirmation email's outbox row are written
//! together or not at all. Stock is taken with a conditional update, so concurrent checkouts
//! never sell more than there is. The cart's row is locked first, so a cart becomes at most
//! one order however many checkouts of it run at once. A retried submission with the same
//! idempotency key gets the order the first one placed; the same key with another request is
//! refused.

use crate::carts::{CartAccess, CartError};
use crate::payments::BankTransferAccount;
use crate::Clock;
use hanjinbi_domain::address::{AddressError, Place};
use hanjinbi_domain::contact::{Email, FullName, OrderNote, PhoneVn, StreetLine};
use hanjinbi_domain::order::{OrderStatus, PaymentMethod, ShippingMethod};
use hanjinbi_domain::{Dong, Lang, Sku};
use hanjinbi_privacy::audit::{self, AuditAction, AuditBatch, AuditEvent};
use hanjinbi_privacy::gate::{slots, Gate};
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::records::{self, BuyerContact, CheckoutConsents, RecordError};
use hanjinbi_store::orders::{self, OrderLineRow, OrderRow};
use hanjinbi_store::{carts, outbox, Db, StoreError};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use thiserror::Error;

/// The outbox kind of the order confirmation email.
pub const CONFIRMATION_EMAIL: &str = "order_confirmation";

/// Delivery fees by method, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingFees {
    pub standard: Dong,
    pub express: Dong,
}

impl Default for ShippingFees {
    fn default() -> ShippingFees {
        ShippingFees {
            standard: Dong(30_000),
            express: Dong(50_000),
        }
    }
}

impl ShippingFees {
    pub fn fee(&self, method: ShippingMethod) -> Dong {
        match method {
            ShippingMethod::Standard => self.standard,
            ShippingMethod::Express => self.express,
        }
    }
}

/// Limits on one order, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderLimits {
    /// Units of one variant in one order (and in one cart line).
    pub max_line_quantity: i64,
    /// The largest total payable in cash on delivery.
    pub max_cod_order: Dong,
}

impl Default for OrderLimits {
    /// Sized for a clothing shop: ten of one item, five million đồng in cash at the door.
    fn default() -> OrderLimits {
        OrderLimits {
            max_line_quantity: 10,
            max_cod_order: Dong(5_000_000),
        }
    }
}

/// What the buyer submitted, as text, before any checking.
#[derive(Clone, Default)]
pub struct CheckoutRequest {
    pub email: String,
    pub name: String,
    pub phone: String,
    pub province_code: String,
    pub ward_code: String,
    pub line: String,
    pub shipping_method: String,
    pub payment_method: String,
    pub note: String,
    pub marketing: bool,
    pub suggestions: bool,
    /// The subtotal the buyer was shown; a different one now means the cart is stale.
    pub expected_subtotal: Option<i64>,
    pub idempotency_key: Option<String>,
    pub lang: Lang,
    /// "web" or "api": where consent was given.
    pub channel: &'static str,
}

impl std::fmt::Debug for CheckoutRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckoutRequest(<personal>)")
    }
}

/// A field of the checkout form that was not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutField {
    Email,
    Name,
    Phone,
    Province,
    Ward,
    Street,
    Shipping,
    Payment,
    Note,
    IdempotencyKey,
}

impl CheckoutField {
    pub fn code(self) -> &'static str {
        match self {
            CheckoutField::Email => "email",
            CheckoutField::Name => "name",
            CheckoutField::Phone => "phone",
            CheckoutField::Province => "province_code",
            CheckoutField::Ward => "ward_code",
            CheckoutField::Street => "line",
            CheckoutField::Shipping => "shipping_method",
            CheckoutField::Payment => "payment_method",
            CheckoutField::Note => "note",
            CheckoutField::IdempotencyKey => "idempotency_key",
        }
    }
}

#[derive(Debug, Error)]
pub enum CheckoutError {
    #[error("some fields are not valid")]
    Invalid(Vec<CheckoutField>),
    #[error("the cart is empty")]
    EmptyCart,
    #[error("prices or quantities changed; the subtotal is now {total}")]
    TotalChanged { total: Dong },
    #[error("{sku} has only {available} left")]
    OutOfStock { sku: Sku, available: i64 },
    #[error("{sku}: at most {max} units per order")]
    LineTooLarge { sku: Sku, max: i64 },
    #[error("cash on delivery is for orders up to {max}; this one is {total}")]
    CashOnDeliveryTooLarge { max: Dong, total: Dong },
    #[error("the order's amount is too large to compute")]
    AmountTooLarge,
    #[error("this idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Cart(#[from] CartError),
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A checked request: every value is of its domain type.
struct ValidCheckout {
    email: Email,
    name: FullName,
    phone: PhoneVn,
    place: Place,
    line: StreetLine,
    shipping: ShippingMethod,
    payment: PaymentMethod,
    note: Option<OrderNote>,
    idempotency_key: Option<String>,
}

impl ValidCheckout {
    /// A hash of the request in canonical form (values as parsed, each length-prefixed), kept
    /// with an idempotency key so that the key cannot be replayed with another request.
    fn fingerprint(&self, request: &CheckoutRequest) -> Vec<u8> {
        let mut h = Sha256::new();
        let email = self.email.lookup_key();
        let note = self.note.as_ref().map_or("", |n| n.expose());
        let subtotal = request
            .expected_subtotal
            .map_or_else(String::new, |s| s.to_string());
        for part in [
            email.as_str(),
            self.name.expose(),
            self.phone.expose(),
            self.place.province_code.as_str(),
            self.place.ward_code.as_str(),
            self.line.expose(),
            self.shipping.code(),
            self.payment.code(),
            note,
            if request.marketing { "1" } else { "0" },
            if request.suggestions { "1" } else { "0" },
            subtotal.as_str(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().to_vec()
    }
}

fn validate(r: &CheckoutRequest) -> Result<ValidCheckout, CheckoutError> {
    let mut bad = Vec::new();
    let email = Email::parse(&r.email)
        .map_err(|_| bad.push(CheckoutField::Email))
        .ok();
    let name = FullName::parse(&r.name)
        .map_err(|_| bad.push(CheckoutField::Name))
        .ok();
    let phone = PhoneVn::parse(&r.phone)
        .map_err(|_| bad.push(CheckoutField::Phone))
        .ok();
    let place = Place::parse(&r.province_code, &r.ward_code)
        .map_err(|e| {
            bad.push(match e {
                AddressError::UnknownProvince => CheckoutField::Province,
                AddressError::WardNotInProvince => CheckoutField::Ward,
            })
        })
        .ok();
    let line = StreetLine::parse(&r.line)
        .map_err(|_| bad.push(CheckoutField::Street))
        .ok();
    let shipping = ShippingMethod::parse(&r.shipping_method);
    if shipping.is_none() {
        bad.push(CheckoutField::Shipping);
    }
    let payment = PaymentMethod::parse(&r.payment_method);
    if payment.is_none() {
        bad.push(CheckoutField::Payment);
    }
    let note = OrderNote::parse(&r.note)
        .map_err(|_| bad.push(CheckoutField::Note))
        .ok();
    let idempotency_key = r
        .idempotency_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    if idempotency_key.is_some_and(|k| k.len() > 200 || k.chars().any(|c| !c.is_ascii_graphic())) {
        bad.push(CheckoutField::IdempotencyKey);
    }
    match (email, name, phone, place, line, shipping, payment, note) {
        (
            Some(email),
            Some(name),
            Some(phone),
            Some(place),
            Some(line),
            Some(shipping),
            Some(payment),
            Some(note),
        ) if bad.is_empty() => Ok(ValidCheckout {
            email,
            name,
            phone,
            place,
            line,
            shipping,
            payment,
            note,
            idempotency_key: idempotency_key.map(str::to_owned),
        }),
        _ => Err(CheckoutError::Invalid(bad)),
    }
}

/// An order placed (or found again for a retried submission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub order_id: String,
    pub number: String,
    pub status: OrderStatus,
    pub total: Dong,
    /// With the number, opens the order's page. Sent in the confirmation email.
    pub token: String,
    /// This submission repeated an earlier one; no new order was made.
    pub replayed: bool,
}

#[derive(Clone)]
pub struct Checkout {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
    fees: ShippingFees,
    limits: OrderLimits,
    bank: Option<BankTransferAccount>,
    catalog: crate::Catalog,
}

/// A variant as a line names it: "M / Đen", or the colour alone for a one-size item.
fn variant_label(size: &str, color: &str) -> String {
    if size.is_empty() {
        color.to_owned()
    } else {
        format!("{size} / {color}")
    }
}

/// Order numbers: "HJ" and ten characters of Crockford's base32 (no I, L, O, U to misread).
fn new_order_number() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("HJ{tail}")
}

impl Checkout {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        gate: Gate,
        fees: ShippingFees,
        limits: OrderLimits,
        bank: Option<BankTransferAccount>,
        catalog: crate::Catalog,
    ) -> Checkout {
        Checkout {
            db,
            clock,
            gate,
            fees,
            limits,
            bank,
            catalog,
        }
    }

    /// The shop's account for bank transfers, when it takes them.
    pub fn bank_account(&self) -> Option<&BankTransferAccount> {
        self.bank.as_ref()
    }

    /// The payment methods buyers may choose: bank transfer only with a bank account set.
    pub fn payment_methods(&self) -> Vec<PaymentMethod> {
        PaymentMethod::ALL
            .into_iter()
            .filter(|&m| self.offers(m))
            .collect()
    }

    fn offers(&self, method: PaymentMethod) -> bool {
        match method {
            PaymentMethod::CashOnDelivery => true,
            PaymentMethod::BankTransfer => self.bank.is_some(),
        }
    }

    pub fn limits(&self) -> OrderLimits {
        self.limits
    }

    pub fn fees(&self) -> ShippingFees {
        self.fees
    }

    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Places an order from the cart, or explains why not. Nothing is written on failure.
    pub async fn place(
        &self,
        access: &CartAccess,
        request: &CheckoutRequest,
    ) -> Result<PlacedOrder, CheckoutError> {
        let valid = validate(request)?;
        if !self.offers(valid.payment) {
            return Err(CheckoutError::Invalid(vec![CheckoutField::Payment]));
        }
        let now = self.clock.now();
        let idempotency_hash = valid.idempotency_key.as_ref().map(|key| {
            let mut h = Sha256::new();
            h.update(access.id().as_bytes());
            h.update([0]);
            h.update(key.as_bytes());
            h.finalize().to_vec()
        });
        let fingerprint = valid.fingerprint(request);

        let mut tx = self.db.begin_write().await?;
        // The cart's row first: concurrent checkouts of this cart (and changes to it) wait
        // here for this one to finish, then find the cart emptied or the key stored.
        if !carts::lock(&mut tx, access.id(), now).await? {
            return Err(CartError::UnknownCart.into());
        }
        if let Some(hash) = &idempotency_hash {
            if let Some((order_id, first)) = orders::by_idempotency_key(&mut tx, hash).await? {
                tx.rollback().await?;
                // Keys stored before requests were hashed have nothing to compare with.
                if first.is_some_and(|first| first != fingerprint) {
                    return Err(CheckoutError::IdempotencyKeyReused);
                }
                return self.replay(&order_id).await;
            }
        }
        let lines = carts::lines_in(&mut tx, access.id()).await?;
        if lines.is_empty() {
            return Err(CheckoutError::EmptyCart);
        }
        if let Some(line) = lines
            .iter()
            .find(|l| l.quantity > self.limits.max_line_quantity)
        {
            return Err(CheckoutError::LineTooLarge {
                sku: line.sku.clone(),
                max: self.limits.max_line_quantity,
            });
        }
        let mut subtotal = Dong::ZERO;
        let mut order_lines = Vec::with_capacity(lines.len());
        // Stock rows are locked in SKU order, whatever the cart's order, so two checkouts of
        // the same items can never wait on each other in a cycle (PostgreSQL row locks).
        let mut by_sku: Vec<_> = lines.iter().collect();
        by_sku.sort_by(|a, b| a.sku.cmp(&b.sku));
        for line in by_sku {
            if !orders::take_stock(&mut tx, line.sku.as_str(), line.quantity).await? {
                return Err(CheckoutError::OutOfStock {
                    sku: line.sku.clone(),
                    available: line.stock.max(0),
                });
            }
        }
        for line in &lines {
            let total = line
                .unit_price
                .checked_mul(line.quantity)
                .ok_or(CheckoutError::AmountTooLarge)?;
            subtotal = subtotal
                .checked_add(total)
                .ok_or(CheckoutError::AmountTooLarge)?;
            // Both languages are kept as sold: the order's emails and pages name the items
            // as the buyer saw them, whatever the catalog says later.
            order_lines.push(OrderLineRow {
                sku: line.sku.to_string(),
                product_slug: line.product.to_string(),
                product_name: line.name.vi.clone(),
                variant_label: variant_label(&line.size, &line.color.vi),
                unit_price: line.unit_price.amount(),
                quantity: line.quantity,
                line_total: total.amount(),
                product_name_en: Some(line.name.en.clone()),
                variant_label_en: Some(variant_label(&line.size, &line.color.en)),
            });
        }
        let fee = self.fees.fee(valid.shipping);
        let total = subtotal
            .checked_add(fee)
            .ok_or(CheckoutError::AmountTooLarge)?;
        if request
            .expected_subtotal
            .is_some_and(|expected| expected != subtotal.amount())
        {
            return Err(CheckoutError::TotalChanged { total: subtotal });
        }
        if valid.payment == PaymentMethod::CashOnDelivery && total > self.limits.max_cod_order {
            return Err(CheckoutError::CashOnDeliveryTooLarge {
                max: self.limits.max_cod_order,
                total,
            });
        }

        // Whoever holds the cart's token placed this order; the audit log names the cart.
        let mut audit = AuditBatch::new(format!("cart:{}", access.id()));
        // Boxes start unticked, so an unticked box is no decision at all: it neither grants
        // nor withdraws. Withdrawing is its own explicit act.
        let granted: Vec<PurposeId> = [
            (PurposeId::Marketing, request.marketing),
            (PurposeId::Suggestions, request.suggestions),
        ]
        .into_iter()
        .filter_map(|(purpose, ticked)| ticked.then_some(purpose))
        .collect();
        let buyer = records::buyer_for_checkout(
            &mut tx,
            self.gate.vault(),
            BuyerContact {
                email: &valid.email,
                name: &valid.name,
                phone: &valid.phone,
            },
            CheckoutConsents {
                policy: self.gate.policy(),
                granted: &granted,
                lang: request.lang,
                channel: request.channel,
            },
            now,
            &mut audit,
        )
        .await?;
        let order_id = records::new_id();
        let ship_to = DeliveryDetails::new(
            valid.name.clone(),
            valid.phone.clone(),
            valid.place.clone(),
            valid.line.clone(),
        );
        let order = OrderRow {
            id: order_id.clone(),
            number: new_order_number(),
            buyer_id: buyer.subject.clone(),
            status: OrderStatus::Placed.code().to_owned(),
            subtotal: subtotal.amount(),
            shipping_fee: fee.amount(),
            total: total.amount(),
            shipping_method: valid.shipping.code().to_owned(),
            payment_method: valid.payment.code().to_owned(),
            ship_to_sealed: ship_to
                .seal(&buyer, &order_id)
                .map_err(RecordError::from)?
                .to_stored(),
            note_sealed: match &valid.note {
                Some(n) => Some(
                    buyer
                        .seal(slots::order(&order_id, "note"), n.expose())
                        .map_err(RecordError::from)?
                        .to_stored(),
                ),
                None => None,
            },
            policy_version: self.gate.policy().version().to_owned(),
            placed_at: now,
            lang: request.lang.code().to_owned(),
        };
        orders::insert(&mut tx, &order, &order_lines, Actor::Buyer.code()).await?;
        audit.record(AuditEvent {
            at: now,
            actor: Actor::System.code(),
            purpose: PurposeId::OrderFulfilment.code(),
            action: AuditAction::Seal,
            subject: &buyer.subject,
            fields: if valid.note.is_some() {
                &["ship_to", "note"]
            } else {
                &["ship_to"]
            },
        });
        if let Some(hash) = &idempotency_hash {
            orders::insert_idempotency_key(&mut tx, hash, &fingerprint, &order_id, now).await?;
        }
        outbox::enqueue(&mut tx, CONFIRMATION_EMAIL, &order_id, None, now).await?;
        orders::clear_cart(&mut tx, access.id()).await?;
        // Last, so the audit chain's head row is locked only for the commit itself.
        audit.write(&mut tx, &self.gate.audit_key()).await?;
        tx.commit().await?;
        // Stock changed: this server's product pages show it at once.
        self.catalog.invalidate();
        Ok(PlacedOrder {
            token: self.gate.vault().order_token(&order_id),
            order_id,
            number: order.number,
            status: OrderStatus::Placed,
            total,
            replayed: false,
        })
    }

    async fn replay(&self, order_id: &str) -> Result<PlacedOrder, CheckoutError> {
        let order = orders::by_id(&self.db, order_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("idempotency key names a missing order {order_id}"))
        })?;
        let status = OrderStatus::parse(&order.status).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "order {} has unknown status {:?}",
                order.id, order.status
            ))
        })?;
        Ok(PlacedOrder {
            token: self.gate.vault().order_token(&order.id),
            order_id: order.id,
            number: order.number,
            status,
            total: Dong(order.total),
            replayed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CheckoutRequest {
        CheckoutRequest {
            email: "lan@example.vn".into(),
            name: "Nguyễn Thị Lan".into(),
            phone: "0912345678".into(),
            province_code: "01".into(),
            ward_code: "00004".into(),
            line: "Số 12 ngõ 34 Phố Huế".into(),
            shipping_method: "standard".into(),
            payment_method: "cash_on_delivery".into(),
            ..CheckoutRequest::default()
        }
    }

    fn invalid_fields(r: &CheckoutRequest) -> Vec<CheckoutField> {
        match validate(r) {
            Err(CheckoutError::Invalid(fields)) => fields,
            Ok(_) => Vec::new(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_complete_request_is_valid() {
        assert!(validate(&request()).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let r = CheckoutRequest {
            email: "not-an-email".into(),
            phone: "12345".into(),
            ward_code: "26740".into(),
            shipping_method: "drone".into(),
            ..request()
        };
        assert_eq!(
            invalid_fields(&r),
            vec![
                CheckoutField::Email,
                CheckoutField::Phone,
                CheckoutField::Ward,
                CheckoutField::Shipping
            ]
        );
        let r = CheckoutRequest {
            name: String::new(),
            line: "x".into(),
            payment_method: String::new(),
            note: "n".repeat(501),
            ..request()
        };
        assert_eq!(
            invalid_fields(&r),
            vec![
                CheckoutField::Name,
                CheckoutField::Street,
                CheckoutField::Payment,
                CheckoutField::Note
            ]
        );
    }

    #[test]
    fn order_numbers_are_unambiguous() {
        let n = new_order_number();
        assert_eq!(n.len(), 12);
        assert!(n.starts_with("HJ"));
        assert!(!n[2..].contains(['I', 'L', 'O', 'U']));
    }
}
