// A sealed value is not Serialize: it cannot be written into JSON.
use hanjinbi_privacy::Sealed;

fn main() {
    let sealed = Sealed::from_stored(vec![1, 2, 3]);
    let _json = serde_json::to_string(&sealed).unwrap();
}
