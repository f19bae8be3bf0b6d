// Personal values typed at checkout have no Display and no Serialize either.
use hanjinbi_domain::contact::Email;

fn main() {
    let email = Email::parse("lan@example.vn").unwrap();
    println!("{}", email);
    let _json = serde_json::to_string(&email).unwrap();
}
