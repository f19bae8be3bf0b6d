// A principal is made only by the gate's checks of a proof: code outside the privacy crate
// cannot call the crate's own constructors with a claimed identity.
use hanjinbi_privacy::Principal;

fn main() {
    let _buyer = Principal::order_buyer("subject".into(), "order".into(), "HJ0000000000".into());
    let _mailer = Principal::mailer("subject".into(), "order".into(), 1);
    let _cart = Principal::cart_buyer("cart".into());
}
