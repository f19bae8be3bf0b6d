//! Who opens personal data, proved rather than claimed.
//!
//! A [`Principal`] has no public constructor and no public fields. The only ways to get one
//! are the gate's checks of a proof: the order's number with its secret token
//! ([`crate::gate::Gate::buyer_of_order`]) or a cart's id with its token
//! ([`crate::gate::Gate::buyer_of_cart`]) for a buyer, and a message still waiting in the
//! outbox for the mailer ([`crate::gate::Gate::mailer_for`]), and a live session of a verified
//! account ([`crate::gate::Gate::holder_of_session`]). Each principal is bound to one
//! data subject (and, where it came from an order or a message, to that order): the gate opens
//! only what belongs to it. A signed-in member of staff becomes one more kind, made by the
//! code that verifies a staff session, carrying the staff member's id and role.

use crate::policy::Actor;
use std::fmt;

/// An authenticated party, bound to the data subject it may open. Not constructible outside
/// this crate; see the module documentation for how one is made.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    kind: Kind,
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    /// Presented the order's token (given at checkout, or in exchange for a one-time code).
    OrderBuyer {
        subject: String,
        order_id: String,
        number: String,
    },
    /// Presented a cart's token. Not a data subject yet: opens nothing.
    CartBuyer { cart_id: String },
    /// The outbox mailer, sending a message still waiting in the outbox.
    Mailer {
        subject: String,
        order_id: String,
        message_id: i64,
    },
    /// Presented a live session of a verified account (a cookie or a bearer token).
    AccountHolder { subject: String, account_id: String },
    /// The outbox mailer, sending a message about an account (a verification or reset link).
    AccountMailer {
        subject: String,
        account_id: String,
        message_id: i64,
    },
    /// The outbox mailer, sending a message that carries its own sealed content under a
    /// subject of its own (an erasure link for a guest, the last email after an erasure).
    MessageMailer { subject: String, message_id: i64 },
    /// Presented a live erasure link: whoever controls the address it was sent to. Bound to
    /// the request's own subject, under which the address is sealed.
    ErasureRequester { subject: String },
}

/// The scope a principal may open within its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    /// Nothing at all.
    Nothing,
    /// The subject's buyer record and one order (and, for the mailer, one message).
    Order {
        subject: &'a str,
        order_id: &'a str,
        message_id: Option<i64>,
    },
    /// One message's own sealed content.
    Message { subject: &'a str, message_id: i64 },
    /// An erasure request's own sealed address.
    ErasureRequest { subject: &'a str },
    /// An account's own record (and, for the mailer, one message about it).
    Account {
        subject: &'a str,
        account_id: &'a str,
        message_id: Option<i64>,
    },
}

impl Principal {
    pub(crate) fn order_buyer(subject: String, order_id: String, number: String) -> Principal {
        Principal {
            kind: Kind::OrderBuyer {
                subject,
                order_id,
                number,
            },
        }
    }

    pub(crate) fn cart_buyer(cart_id: String) -> Principal {
        Principal {
            kind: Kind::CartBuyer { cart_id },
        }
    }

    pub(crate) fn mailer(subject: String, order_id: String, message_id: i64) -> Principal {
        Principal {
            kind: Kind::Mailer {
                subject,
                order_id,
                message_id,
            },
        }
    }

    pub(crate) fn account_holder(subject: String, account_id: String) -> Principal {
        Principal {
            kind: Kind::AccountHolder {
                subject,
                account_id,
            },
        }
    }

    pub(crate) fn account_mailer(
        subject: String,
        account_id: String,
        message_id: i64,
    ) -> Principal {
        Principal {
            kind: Kind::AccountMailer {
                subject,
                account_id,
                message_id,
            },
        }
    }

    pub(crate) fn message_mailer(subject: String, message_id: i64) -> Principal {
        Principal {
            kind: Kind::MessageMailer {
                subject,
                message_id,
            },
        }
    }

    pub(crate) fn erasure_requester(subject: String) -> Principal {
        Principal {
            kind: Kind::ErasureRequester { subject },
        }
    }

    /// The account this principal acts as or for, if any.
    pub fn account(&self) -> Option<&str> {
        match &self.kind {
            Kind::AccountHolder { account_id, .. } | Kind::AccountMailer { account_id, .. } => {
                Some(account_id)
            }
            _ => None,
        }
    }

    /// The role the policy judges.
    pub fn actor(&self) -> Actor {
        match self.kind {
            Kind::OrderBuyer { .. }
            | Kind::CartBuyer { .. }
            | Kind::AccountHolder { .. }
            | Kind::ErasureRequester { .. } => Actor::Buyer,
            Kind::Mailer { .. } | Kind::AccountMailer { .. } | Kind::MessageMailer { .. } => {
                Actor::System
            }
        }
    }

    /// The data subject this principal is bound to, if any.
    pub fn subject(&self) -> Option<&str> {
        match &self.kind {
            Kind::OrderBuyer { subject, .. }
            | Kind::Mailer { subject, .. }
            | Kind::AccountHolder { subject, .. }
            | Kind::AccountMailer { subject, .. }
            | Kind::MessageMailer { subject, .. }
            | Kind::ErasureRequester { subject } => Some(subject),
            Kind::CartBuyer { .. } => None,
        }
    }

    /// A stable identifier for the audit log: who, not only which role. Never a personal
    /// value: order numbers, cart ids and job names.
    pub fn who(&self) -> String {
        match &self.kind {
            Kind::OrderBuyer { number, .. } => format!("order:{number}"),
            Kind::CartBuyer { cart_id } => format!("cart:{cart_id}"),
            Kind::Mailer { message_id, .. }
            | Kind::AccountMailer { message_id, .. }
            | Kind::MessageMailer { message_id, .. } => {
                format!("system:outbox-mailer/message:{message_id}")
            }
            Kind::AccountHolder { account_id, .. } => format!("account:{account_id}"),
            Kind::ErasureRequester { subject } => format!("erasure-request:{subject}"),
        }
    }

    pub(crate) fn scope(&self) -> Scope<'_> {
        match &self.kind {
            Kind::OrderBuyer {
                subject, order_id, ..
            } => Scope::Order {
                subject,
                order_id,
                message_id: None,
            },
            Kind::Mailer {
                subject,
                order_id,
                message_id,
            } => Scope::Order {
                subject,
                order_id,
                message_id: Some(*message_id),
            },
            Kind::AccountHolder {
                subject,
                account_id,
            } => Scope::Account {
                subject,
                account_id,
                message_id: None,
            },
            Kind::AccountMailer {
                subject,
                account_id,
                message_id,
            } => Scope::Account {
                subject,
                account_id,
                message_id: Some(*message_id),
            },
            Kind::MessageMailer {
                subject,
                message_id,
            } => Scope::Message {
                subject,
                message_id: *message_id,
            },
            Kind::ErasureRequester { subject } => Scope::ErasureRequest { subject },
            Kind::CartBuyer { .. } => Scope::Nothing,
        }
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Principal({})", self.who())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_principal_names_who_it_is_without_personal_data() {
        let buyer = Principal::order_buyer("s1".into(), "o1".into(), "HJ0123456789".into());
        assert_eq!(buyer.who(), "order:HJ0123456789");
        assert_eq!(buyer.actor(), Actor::Buyer);
        assert_eq!(buyer.subject(), Some("s1"));
        let mailer = Principal::mailer("s1".into(), "o1".into(), 7);
        assert_eq!(mailer.who(), "system:outbox-mailer/message:7");
        assert_eq!(mailer.actor(), Actor::System);
        let cart = Principal::cart_buyer("c1".into());
        assert_eq!(cart.who(), "cart:c1");
        assert_eq!(cart.scope(), Scope::Nothing);
        assert_eq!(format!("{buyer:?}"), "Principal(order:HJ0123456789)");
        let holder = Principal::account_holder("s2".into(), "a1".into());
        assert_eq!(holder.who(), "account:a1");
        assert_eq!(holder.actor(), Actor::Buyer);
        assert_eq!(holder.account(), Some("a1"));
        assert_eq!(buyer.account(), None);
        let account_mailer = Principal::account_mailer("s2".into(), "a1".into(), 9);
        assert_eq!(account_mailer.who(), "system:outbox-mailer/message:9");
        assert_eq!(account_mailer.actor(), Actor::System);
    }
}
