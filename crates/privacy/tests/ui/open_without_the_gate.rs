// Opening a sealed value is crate-private: only the gate may call it.
use hanjinbi_privacy::keys::KeyRing;
use hanjinbi_privacy::sealed::Slot;
use hanjinbi_privacy::vault::{self, Vault};

fn main() {
    let vault = Vault::new(KeyRing::generate());
    let (key, _) = vault.new_data_key("b1").unwrap();
    let slot = Slot { table: "buyers", row: "b1", field: "email" };
    let sealed = vault::seal(&key, slot, "lan@example.vn").unwrap();
    let _plaintext: String = vault::open(&key, slot, &sealed).unwrap();
}
