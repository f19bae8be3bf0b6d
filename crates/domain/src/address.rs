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

/// The units data could not be used: the binary was built with a broken data file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UnitsError {
    #[error("the administrative units data is not valid JSON of the expected shape: {0}")]
    Unreadable(String),
    #[error("the administrative units data lists no provinces")]
    Empty,
    #[error("the administrative units data is not sorted by code (province {0})")]
    Unsorted(String),
}

/// Parses and checks units data: provinces and each province's wards sorted by code (lookups
/// search them by halves), none empty.
pub fn parse_units(json: &str) -> Result<Units, UnitsError> {
    let units: Units =
        serde_json::from_str(json).map_err(|e| UnitsError::Unreadable(e.to_string()))?;
    if units.provinces.is_empty() {
        return Err(UnitsError::Empty);
    }
    if let Some(w) = units.provinces.windows(2).find(|w| w[0].code >= w[1].code) {
        return Err(UnitsError::Unsorted(w[1].code.clone()));
    }
    if let Some(p) = units
        .provinces
        .iter()
        .find(|p| p.wards.is_empty() || p.wards.windows(2).any(|w| w[0].code >= w[1].code))
    {
        return Err(UnitsError::Unsorted(p.code.clone()));
    }
    Ok(units)
}

/// The units built into the binary, parsed and checked on first use.
pub fn try_units() -> Result<&'static Units, UnitsError> {
    static UNITS: OnceLock<Result<Units, UnitsError>> = OnceLock::new();
    UNITS
        .get_or_init(|| parse_units(UNITS_JSON))
        .as_ref()
        .map_err(Clone::clone)
}

/// The units built into the binary.
///
/// # Panics
/// When the built-in data is broken, which `try_units` reports as an error: the server calls
/// it before serving and refuses to start, and the tests below parse the same data, so a
/// binary that gets past either never reaches the panic.
pub fn units() -> &'static Units {
    match try_units() {
        Ok(units) => units,
        Err(e) => panic!("{e}"),
    }
}

/// The centrally-run cities, largest first: most orders go to them, so pickers list them
/// before the provinces.
const LARGE_CITIES: [&str; 6] = ["01", "79", "31", "48", "92", "46"];

/// Provinces in the order pickers show them: the six centrally-run cities (Hà Nội, Hồ Chí
/// Minh City, Hải Phòng, Đà Nẵng, Cần Thơ, Huế), then the provinces in Vietnamese
/// alphabetical order of their short names.
pub fn provinces_for_pickers() -> &'static [&'static Province] {
    static ORDER: OnceLock<Vec<&'static Province>> = OnceLock::new();
    ORDER.get_or_init(|| {
        let provinces = &units().provinces;
        let mut order: Vec<&Province> = LARGE_CITIES.iter().filter_map(|c| province(c)).collect();
        let mut rest: Vec<&Province> = provinces
            .iter()
            .filter(|p| !LARGE_CITIES.contains(&p.code.as_str()))
            .collect();
        rest.sort_by_cached_key(|p| crate::collate::sort_key(&p.short_name));
        order.extend(rest);
        order
    })
}

impl Province {
    /// The province's wards in Vietnamese alphabetical order of their names without the
    /// kind ("Ba Đình" for "Phường Ba Đình"), so that a shopper finds a ward by its name
    /// whether it is a ward, a commune or a special zone. Sorted once for every province, on
    /// first use, like [`provinces_for_pickers`]; a province not from [`units`] has none.
    pub fn wards_for_pickers(&self) -> &'static [&'static Ward] {
        static ORDER: OnceLock<Vec<Vec<&'static Ward>>> = OnceLock::new();
        let order = ORDER.get_or_init(|| {
            units()
                .provinces
                .iter()
                .map(|p| {
                    let mut wards: Vec<&Ward> = p.wards.iter().collect();
                    wards.sort_by_cached_key(|w| {
                        (crate::collate::sort_key(w.proper_name()), w.code.clone())
                    });
                    wards
                })
                .collect()
        });
        units()
            .provinces
            .binary_search_by(|p| p.code.as_str().cmp(&self.code))
            .ok()
            .and_then(|i| order.get(i))
            .map_or(&[], Vec::as_slice)
    }
}

impl Ward {
    /// The name without its kind: "Ba Đình" for "Phường Ba Đình".
    pub fn proper_name(&self) -> &str {
        let lower = self.name.to_lowercase();
        if lower.starts_with(&self.kind.to_lowercase()) {
            // The kind is a prefix of the name, compared case-insensitively; Vietnamese
            // lowercase keeps the length in bytes of these kinds ("phường", "xã", "đặc khu").
            let cut = self.kind.len();
            self.name
                .get(cut..)
                .map_or(self.name.as_str(), str::trim_start)
        } else {
            &self.name
        }
    }
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
    fn pickers_list_the_large_cities_first_then_provinces_alphabetically() {
        let names: Vec<&str> = provinces_for_pickers()
            .iter()
            .map(|p| p.short_name.as_str())
            .collect();
        assert_eq!(names.len(), units().provinces.len());
        assert_eq!(
            names[..6],
            [
                "Hà Nội",
                "Hồ Chí Minh",
                "Hải Phòng",
                "Đà Nẵng",
                "Cần Thơ",
                "Huế"
            ]
        );
        let rest = &names[6..];
        assert!(rest
            .windows(2)
            .all(|w| crate::collate::compare(w[0], w[1]).is_lt()));
        // "Đ" comes after "D" and before "E", not after "Y".
        let dak_lak = rest.iter().position(|n| *n == "Đắk Lắk").unwrap();
        let gia_lai = rest.iter().position(|n| *n == "Gia Lai").unwrap();
        assert!(dak_lak < gia_lai);
    }

    #[test]
    fn wards_are_listed_by_name_whatever_their_kind() {
        let hanoi = province("01").unwrap();
        let wards = hanoi.wards_for_pickers();
        assert_eq!(wards.len(), hanoi.wards.len());
        assert!(wards.windows(2).all(|w| crate::collate::compare(
            w[0].proper_name(),
            w[1].proper_name()
        )
        .is_le()));
        let ba_dinh = wards.iter().find(|w| w.code == "00004").unwrap();
        assert_eq!(ba_dinh.proper_name(), "Ba Đình");
    }

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
    fn broken_units_data_is_an_error_not_an_empty_list() {
        assert!(matches!(
            parse_units("not json"),
            Err(UnitsError::Unreadable(_))
        ));
        assert_eq!(
            parse_units(r#"{"source":"s","retrieved":"r","effective":"e","provinces":[]}"#)
                .map(|u| u.provinces.len()),
            Err(UnitsError::Empty)
        );
        let unsorted = r#"{"source":"s","retrieved":"r","effective":"e","provinces":[
            {"code":"02","name":"B","short_name":"B","kind":"t","wards":[{"code":"1","name":"w","kind":"p"}]},
            {"code":"01","name":"A","short_name":"A","kind":"t","wards":[{"code":"2","name":"w","kind":"p"}]}]}"#;
        assert_eq!(
            parse_units(unsorted).map(|u| u.provinces.len()),
            Err(UnitsError::Unsorted("01".into()))
        );
        assert!(try_units().is_ok());
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
