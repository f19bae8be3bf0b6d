// Opened delivery details cannot be printed or serialised whole: a page or an email asks
// for each part by name.
use hanjinbi_privacy::plain::DeliveryDetails;

fn show(details: &DeliveryDetails) -> String {
    format!("{details}")
}

fn store(details: &DeliveryDetails) -> String {
    serde_json::to_string(details).unwrap()
}

fn main() {}
