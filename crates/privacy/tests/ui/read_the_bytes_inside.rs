// The bytes inside a sealed value are private to the privacy crate.
use hanjinbi_privacy::Sealed;

fn main() {
    let sealed = Sealed::from_stored(vec![1, 2, 3]);
    let _inner = &sealed.0;
    let _bytes = sealed.bytes();
}
