//! Showing an order to the buyer who placed it: by its number with the secret token from the
//! confirmation email, or with a one-time code sent to the email address or phone on it.

use crate::checkout::ShipTo;
use crate::Clock;
use hanjinbi_domain::address::Place;
use hanjinbi_domain::contact::{Email, PhoneVn};
use hanjinbi_domain::order::{OrderStatus, PaymentMethod, ShippingMethod};
use hanjinbi_domain::Dong;
use hanjinbi_privacy::audit::AuditBatch;
use hanjinbi_privacy::gate::{slots, Access, Gate, GateError, PersonalItem};
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::records::{self, RecordError};
use hanjinbi_privacy::vault::IndexKind;
use hanjinbi_store::orders::{self, OrderRow};
use hanjinbi_store::{outbox, subjects, Db, StoreError};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use thiserror::Error;

/// The outbox kind of the one-time code email.
pub const LOOKUP_CODE_EMAIL: &str = "lookup_code";
/// How long a one-time code works.
pub const CODE_LIFETIME_SECS: i64 = 15 * 60;
/// Wrong guesses allowed per code.
pub const CODE_ATTEMPTS: i64 = 5;
/// The shortest time between two codes for one order.
pub const CODE_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Error)]
pub enum OrderError {
    /// Unknown number, wrong token or wrong code: deliberately one answer, so that order
    /// numbers cannot be probed.
    #[error("no order matches these details")]
    NoMatch,
    #[error("the code has expired or too many wrong codes were tried; ask for a new one")]
    CodeSpent,
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error(transparent)]
    Audit(#[from] hanjinbi_privacy::audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct OrderLineView {
    pub sku: String,
    pub product_slug: String,
    pub product_name: String,
    pub variant_label: String,
    pub unit_price: Dong,
    pub quantity: i64,
    pub line_total: Dong,
}

/// An order as its buyer sees it. Holds opened personal data: not `Debug`.
pub struct OrderView {
    pub number: String,
    pub status: OrderStatus,
    pub placed_at: i64,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Dong,
    pub shipping_fee: Dong,
    pub total: Dong,
    pub shipping_method: ShippingMethod,
    pub payment_method: PaymentMethod,
    pub recipient_name: String,
    pub recipient_phone: String,
    pub address: String,
    pub note: Option<String>,
    pub history: Vec<(OrderStatus, i64)>,
    pub token: String,
}

#[derive(Clone)]
pub struct Orders {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
}

fn code_hash(order_id: &str, code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(order_id.as_bytes());
    h.update([0]);
    h.update(code.as_bytes());
    h.finalize().to_vec()
}

/// Order numbers as issued: `HJ` and ten base32 characters. Checked before any query.
fn plausible_number(number: &str) -> bool {
    number.len() == 12
        && number.starts_with("HJ")
        && number.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Orders {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate) -> Orders {
        Orders { db, clock, gate }
    }

    async fn find(&self, number: &str) -> Result<OrderRow, OrderError> {
        let number = number.trim().to_ascii_uppercase();
        if !plausible_number(&number) {
            return Err(OrderError::NoMatch);
        }
        orders::by_number(&self.db, &number)
            .await?
            .ok_or(OrderError::NoMatch)
    }

    /// The order, for the holder of its number and token.
    pub async fn view(&self, number: &str, token: &str) -> Result<OrderView, OrderError> {
        let order = self.find(number).await?;
        if !self.gate.vault().check_order_token(&order.id, token.trim()) {
            return Err(OrderError::NoMatch);
        }
        self.render(order).await
    }

    async fn render(&self, order: OrderRow) -> Result<OrderView, OrderError> {
        let mut items = vec![PersonalItem::ShipTo {
            order_id: order.id.clone(),
        }];
        if order.note_sealed.is_some() {
            items.push(PersonalItem::OrderNote {
                order_id: order.id.clone(),
            });
        }
        let access = Access {
            actor: Actor::Buyer,
            purpose: PurposeId::OrderFulfilment,
            subject: &order.buyer_id,
        };
        let opened = self.gate.open(access, &items, self.clock.now()).await?;
        let ship_to: ShipTo = opened
            .first()
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or_else(|| {
                StoreError::Corrupt("sealed delivery details are not readable JSON".into())
            })?;
        let place = Place {
            province_code: ship_to.province_code.clone(),
            ward_code: ship_to.ward_code.clone(),
        };
        let lines = orders::lines(&self.db, &order.id)
            .await?
            .into_iter()
            .map(|l| OrderLineView {
                sku: l.sku,
                product_slug: l.product_slug,
                product_name: l.product_name,
                variant_label: l.variant_label,
                unit_price: Dong(l.unit_price),
                quantity: l.quantity,
                line_total: Dong(l.line_total),
            })
            .collect();
        let history = orders::history(&self.db, &order.id)
            .await?
            .into_iter()
            .filter_map(|h| OrderStatus::parse(&h.status).map(|s| (s, h.at)))
            .collect();
        Ok(OrderView {
            token: self.gate.vault().order_token(&order.id),
            number: order.number,
            status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Placed),
            placed_at: order.placed_at,
            lines,
            subtotal: Dong(order.subtotal),
            shipping_fee: Dong(order.shipping_fee),
            total: Dong(order.total),
            shipping_method: ShippingMethod::parse(&order.shipping_method)
                .unwrap_or(ShippingMethod::Standard),
            payment_method: PaymentMethod::parse(&order.payment_method)
                .unwrap_or(PaymentMethod::CashOnDelivery),
            recipient_name: ship_to.name,
            recipient_phone: ship_to.phone,
            address: format!("{}, {}", ship_to.line, place.describe()),
            note: opened.get(1).cloned(),
            history,
        })
    }

    /// Sends a one-time code to the order's email when `contact` (an email address or a
    /// phone number) matches the order's buyer. Answers the same either way.
    pub async fn request_code(&self, number: &str, contact: &str) -> Result<(), OrderError> {
        let Ok(order) = self.find(number).await else {
            return Ok(());
        };
        let Some(buyer) = subjects::buyer(&self.db, &order.buyer_id).await? else {
            return Ok(());
        };
        let vault = self.gate.vault();
        let matches = match (Email::parse(contact), PhoneVn::parse(contact)) {
            (Ok(email), _) => {
                vault.blind_index(IndexKind::Email, &email.lookup_key()) == buyer.email_index
            }
            (_, Ok(phone)) => {
                vault.blind_index(IndexKind::Phone, phone.expose()) == buyer.phone_index
            }
            _ => false,
        };
        if !matches {
            return Ok(());
        }
        let now = self.clock.now();
        // One code a minute per order: asking again sooner neither floods the buyer's inbox
        // nor gives a guesser a fresh set of attempts.
        if let Some(expires_at) = orders::lookup_code_expiry(&self.db, &order.id).await? {
            if expires_at - CODE_LIFETIME_SECS > now - CODE_INTERVAL_SECS {
                return Ok(());
            }
        }
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::default();
        let payload = records::seal_for_subject(
            &mut tx,
            vault,
            &order.buyer_id,
            slots::outbox(&order.id),
            &code,
            PurposeId::AnsweringRequests,
            now,
            &mut audit,
        )
        .await?
        .to_stored();
        orders::set_lookup_code(
            &mut tx,
            &order.id,
            &code_hash(&order.id, &code),
            now + CODE_LIFETIME_SECS,
        )
        .await?;
        outbox::enqueue(&mut tx, LOOKUP_CODE_EMAIL, &order.id, Some(&payload), now).await?;
        audit.write(&mut tx).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Exchanges a valid one-time code for the order's token.
    pub async fn redeem_code(&self, number: &str, code: &str) -> Result<String, OrderError> {
        let order = self.find(number).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let Some((hash, expires_at, attempts)) =
            orders::attempt_lookup_code(&mut tx, &order.id).await?
        else {
            return Err(OrderError::NoMatch);
        };
        if expires_at < now || attempts > CODE_ATTEMPTS {
            orders::delete_lookup_code(&mut tx, &order.id).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Err(OrderError::CodeSpent);
        }
        if code_hash(&order.id, code.trim()) != hash {
            tx.commit().await.map_err(StoreError::from)?;
            return Err(OrderError::NoMatch);
        }
        orders::delete_lookup_code(&mut tx, &order.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(self.gate.vault().order_token(&order.id))
    }
}
