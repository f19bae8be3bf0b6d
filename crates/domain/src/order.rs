//! Orders: how they ship, how they are paid, and the states they pass through.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShippingMethod {
    Standard,
    Express,
}

impl ShippingMethod {
    pub const ALL: [ShippingMethod; 2] = [ShippingMethod::Standard, ShippingMethod::Express];

    pub fn code(self) -> &'static str {
        match self {
            ShippingMethod::Standard => "standard",
            ShippingMethod::Express => "express",
        }
    }

    pub fn parse(text: &str) -> Option<ShippingMethod> {
        Self::ALL.into_iter().find(|m| m.code() == text.trim())
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        match (self, lang) {
            (ShippingMethod::Standard, crate::Lang::Vi) => "Giao hàng tiêu chuẩn (3–5 ngày)",
            (ShippingMethod::Standard, crate::Lang::En) => "Standard delivery (3–5 days)",
            (ShippingMethod::Express, crate::Lang::Vi) => "Giao hàng nhanh (1–2 ngày)",
            (ShippingMethod::Express, crate::Lang::En) => "Express delivery (1–2 days)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    CashOnDelivery,
    BankTransfer,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 2] =
        [PaymentMethod::CashOnDelivery, PaymentMethod::BankTransfer];

    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::CashOnDelivery => "cash_on_delivery",
            PaymentMethod::BankTransfer => "bank_transfer",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentMethod> {
        Self::ALL.into_iter().find(|m| m.code() == text.trim())
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        match (self, lang) {
            (PaymentMethod::CashOnDelivery, crate::Lang::Vi) => "Thanh toán khi nhận hàng (COD)",
            (PaymentMethod::CashOnDelivery, crate::Lang::En) => "Cash on delivery (COD)",
            (PaymentMethod::BankTransfer, crate::Lang::Vi) => "Chuyển khoản ngân hàng",
            (PaymentMethod::BankTransfer, crate::Lang::En) => "Bank transfer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
    Returned,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Placed,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::Placed => "placed",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        Self::ALL.into_iter().find(|s| s.code() == text)
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        let vi = lang == crate::Lang::Vi;
        match self {
            OrderStatus::Placed => {
                if vi {
                    "Đã đặt hàng"
                } else {
                    "Placed"
                }
            }
            OrderStatus::Confirmed => {
                if vi {
                    "Đã xác nhận"
                } else {
                    "Confirmed"
                }
            }
            OrderStatus::Shipped => {
                if vi {
                    "Đang giao"
                } else {
                    "Shipped"
                }
            }
            OrderStatus::Delivered => {
                if vi {
                    "Đã giao"
                } else {
                    "Delivered"
                }
            }
            OrderStatus::Cancelled => {
                if vi {
                    "Đã hủy"
                } else {
                    "Cancelled"
                }
            }
            OrderStatus::Returned => {
                if vi {
                    "Đã trả hàng"
                } else {
                    "Returned"
                }
            }
        }
    }

    /// Whether an order may move from `self` to `next`.
    pub fn may_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Placed, Confirmed | Cancelled)
                | (Confirmed, Shipped | Cancelled)
                | (Shipped, Delivered | Returned)
                | (Delivered, Returned)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.code()), Some(s));
        }
        for m in ShippingMethod::ALL {
            assert_eq!(ShippingMethod::parse(m.code()), Some(m));
        }
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(m.code()), Some(m));
        }
        assert_eq!(PaymentMethod::parse("bitcoin"), None);
    }

    #[test]
    fn status_moves_forward_only() {
        assert!(OrderStatus::Placed.may_become(OrderStatus::Confirmed));
        assert!(!OrderStatus::Delivered.may_become(OrderStatus::Placed));
        assert!(!OrderStatus::Cancelled.may_become(OrderStatus::Shipped));
    }
}
