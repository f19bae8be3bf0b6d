// A sealed value has no Display: it cannot be printed or formatted into a message.
use hanjinbi_privacy::Sealed;

fn main() {
    let sealed = Sealed::from_stored(vec![1, 2, 3]);
    println!("{}", sealed);
}
