// An opened one-time code cannot be printed or serialised; only the email that sends it
// reads its digits.
use hanjinbi_privacy::plain::LookupCode;

fn show(code: &LookupCode) -> String {
    format!("{code}")
}

fn store(code: &LookupCode) -> String {
    serde_json::to_string(code).unwrap()
}

fn main() {}
