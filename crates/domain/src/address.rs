//! Vietnam's administrative units since 1 July 2025: 34 provinces and centrally-run cities,
//! and the wards, communes and special zones beneath them (no districts any more).
//!
//! The data is committed beside this crate (`data/vn-units-2025.json`, with its source and
//! date in `vn-units-2025.SOURCE.md`) and parsed once, on first use.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use thiserror::Error;

const UNITS_JSON: &str = include_str!("../data/vn-units-2025.json");

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Ward {
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Province {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub wards: Vec<Ward>,
}

#[derive(Debug, Deserialize)]
pub struct Units {
    pub source: String,
    pub retrieved: String,
    pub effective: String,
    pub provinces: Vec<Province>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AddressError {
    #[error("no province or city has this code")]
    UnknownProvince,
    #[error("no ward or commune of the chosen province has this code")]
    WardNotInProvince,
}

/// The units, parsed on first use.
pub fn units() -> &'static Units {
    static UNITS: OnceLock<Units> = OnceLock::new();
    UNITS.get_or_init(|| {
        // Cannot fail in a tested build: the file is compiled into the binary and
        // `tests::the_2025_units_are_all_there` parses it. Were it ever broken, every address
        // would be refused; stopping with the cause is better than an empty list that looks
        // like a country without provinces.
        #[allow(clippy::expect_used)]
        serde_json::from_str(UNITS_JSON).expect("the compiled-in address units file parses")
    })
}

pub fn province(code: &str) -> Option<&'static Province> {
    let provinces = &units().provinces;
    provinces
        .binary_search_by(|p| p.code.as_str().cmp(code))
        .ok()
        .and_then(|i| provinces.get(i))
}

/// A province and a ward that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub province_code: String,
    pub ward_code: String,
}

impl Place {
    pub fn parse(province_code: &str, ward_code: &str) -> Result<Place, AddressError> {
        let province = province(province_code.trim()).ok_or(AddressError::UnknownProvince)?;
        let ward_code = ward_code.trim();
        province
            .wards
            .binary_search_by(|w| w.code.as_str().cmp(ward_code))
            .map_err(|_| AddressError::WardNotInProvince)?;
        Ok(Place {
            province_code: province.code.clone(),
            ward_code: ward_code.to_owned(),
        })
    }

    pub fn province(&self) -> Option<&'static Province> {
        province(&self.province_code)
    }

    pub fn ward(&self) -> Option<&'static Ward> {
        self.province()?
            .wards
            .iter()
            .find(|w| w.code == self.ward_code)
    }

    /// "Phường Ba Đình, Thành phố Hà Nội".
    pub fn describe(&self) -> String {
        match (self.ward(), self.province()) {
            (Some(w), Some(p)) => format!("{}, {}", w.name, p.name),
            _ => format!("{} / {}", self.ward_code, self.province_code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2025_units_are_all_there() {
        let u = units();
        assert_eq!(u.provinces.len(), 34);
        let wards: usize = u.provinces.iter().map(|p| p.wards.len()).sum();
        assert!((3_300..=3_330).contains(&wards), "{wards}");
        assert!(u.provinces.windows(2).all(|w| w[0].code < w[1].code));
        assert!(u
            .provinces
            .iter()
            .all(|p| p.wards.windows(2).all(|w| w[0].code < w[1].code)));
        assert_eq!(
            province("01").map(|p| p.short_name.as_str()),
            Some("Hà Nội")
        );
    }

    #[test]
    fn a_ward_must_belong_to_its_province() {
        assert!(Place::parse("01", "00004").is_ok());
        assert_eq!(
            Place::parse("79", "00004"),
            Err(AddressError::WardNotInProvince)
        );
        assert_eq!(
            Place::parse("99", "00004"),
            Err(AddressError::UnknownProvince)
        );
        assert_eq!(Place::parse("01", ""), Err(AddressError::WardNotInProvince));
        assert_eq!(
            Place::parse("01", "00004").unwrap().describe(),
            "Phường Ba Đình, Thành phố Hà Nội"
        );
    }
}
