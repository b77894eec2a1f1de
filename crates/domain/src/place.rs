//! Where an event happens: a venue, an address, a point on the map, a link to join online. None of them is
//! required — an event may be announced before its place is known — and any may be given with the others;
//! only the two coordinates go together.

use crate::error::Invalid;
use crate::text::bounded_text;

bounded_text!(
    /// The venue's name, one line: 1–200 characters.
    Venue,
    1,
    200,
    Name
);

bounded_text!(
    /// A postal address, line breaks allowed: 1–500 characters.
    Address,
    1,
    500,
    Prose
);

/// A point on the map in degrees (WGS 84, as a `geo:` link takes it): latitude within −90..=90,
/// longitude within −180..=180, never NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    latitude: f64,
    longitude: f64,
}

// Neither number is ever NaN (`new` refuses it), so equality is an equivalence.
impl Eq for Coordinates {}

/// `-0.0` as `0.0`: PostgreSQL keeps the sign and SQLite drops it, so the same event would answer `-0.0`
/// on one store and `0.0` on the other (and a calendar `GEO:-0;-0`). Adding `+0.0` clears the sign of
/// zero only.
fn without_negative_zero(degrees: f64) -> f64 {
    degrees + 0.0
}

impl Coordinates {
    /// The errors name the field at fault: `latitude` or `longitude`.
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, (&'static str, Invalid)> {
        Ok(Self {
            latitude: Self::latitude_in_range(latitude).map_err(|invalid| ("latitude", invalid))?,
            longitude: Self::longitude_in_range(longitude).map_err(|invalid| ("longitude", invalid))?,
        })
    }

    /// A latitude on its own, checked as [`new`](Self::new) checks it (to report both parts at once).
    pub fn latitude_in_range(latitude: f64) -> Result<f64, Invalid> {
        if (-90.0..=90.0).contains(&latitude) {
            Ok(without_negative_zero(latitude))
        } else {
            Err(Invalid::new("must be between -90 and 90"))
        }
    }

    /// A longitude on its own, checked as [`new`](Self::new) checks it.
    pub fn longitude_in_range(longitude: f64) -> Result<f64, Invalid> {
        if (-180.0..=180.0).contains(&longitude) {
            Ok(without_negative_zero(longitude))
        } else {
            Err(Invalid::new("must be between -180 and 180"))
        }
    }

    /// Degrees north of the equator (negative: south).
    pub fn latitude(self) -> f64 {
        self.latitude
    }

    /// Degrees east of Greenwich (negative: west).
    pub fn longitude(self) -> f64 {
        self.longitude
    }
}

/// A link to join an event online: an absolute `http` or `https` URL with a host, no user name or
/// password in it, at most [`MAX_CHARS`](Self::MAX_CHARS) characters. Kept as it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineUrl(String);

impl OnlineUrl {
    /// The longest link accepted.
    pub const MAX_CHARS: usize = 2_000;

    /// Refuses anything a browser would not open as a web page, and credentials in the link (a classic
    /// disguise: `https://bank.example@evil.example/`).
    pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
        let raw = raw.into();
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new("must be a link without spaces"));
        }
        let parsed = url::Url::parse(&raw)
            .map_err(|_| Invalid::new("must be an http or https link such as https://example.org/meet"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Invalid::new("must be an http or https link"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("must name a host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Invalid::new("must not contain a user name or password"));
        }
        Ok(Self(raw))
    }

    /// The link as it was accepted.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an event happens, each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// The venue's name.
    pub venue: Option<Venue>,
    /// Its postal address.
    pub address: Option<Address>,
    /// Its point on the map.
    pub coordinates: Option<Coordinates>,
    /// A link to join online.
    pub online_url: Option<OnlineUrl>,
}

/// Changes to an event's place: `None` leaves a part as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceChanges {
    /// A new venue, or none.
    pub venue: Option<Option<Venue>>,
    /// A new address, or none.
    pub address: Option<Option<Address>>,
    /// A new point on the map, or none.
    pub coordinates: Option<Option<Coordinates>>,
    /// A new link, or none.
    pub online_url: Option<Option<OnlineUrl>>,
}

impl PlaceChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.venue.is_none()
            && self.address.is_none()
            && self.coordinates.is_none()
            && self.online_url.is_none()
    }
}

/// A stored event's place, as plain values (validated on the way in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredPlace {
    /// The venue's name.
    pub venue: Option<String>,
    /// Its postal address.
    pub address: Option<String>,
    /// Its point on the map.
    pub coordinates: Option<Coordinates>,
    /// A link to join online.
    pub online_url: Option<String>,
}

impl StoredPlace {
    /// The coordinates as a store keeps them, two nullable numbers; both or neither, which every store
    /// also checks. A lone number (a store edited by hand) is dropped rather than shown half.
    pub fn coordinates_from(latitude: Option<f64>, longitude: Option<f64>) -> Option<Coordinates> {
        match (latitude, longitude) {
            (Some(latitude), Some(longitude)) => Coordinates::new(latitude, longitude).ok(),
            _ => None,
        }
    }
}

impl From<Place> for StoredPlace {
    fn from(place: Place) -> Self {
        Self {
            venue: place.venue.map(Venue::into_inner),
            address: place.address.map(Address::into_inner),
            coordinates: place.coordinates,
            online_url: place.online_url.map(|url| url.0),
        }
    }
}

impl StoredPlace {
    /// This place with `changes` applied.
    pub fn changed(mut self, changes: PlaceChanges) -> Self {
        if let Some(venue) = changes.venue {
            self.venue = venue.map(Venue::into_inner);
        }
        if let Some(address) = changes.address {
            self.address = address.map(Address::into_inner);
        }
        if let Some(coordinates) = changes.coordinates {
            self.coordinates = coordinates;
        }
        if let Some(online_url) = changes.online_url {
            self.online_url = online_url.map(|url| url.0);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_zero_is_kept_as_zero_on_every_store() {
        let point = Coordinates::new(-0.0, -0.0).unwrap();
        assert!(point.latitude().is_sign_positive() && point.longitude().is_sign_positive());
        assert!(Coordinates::latitude_in_range(-0.0).unwrap().is_sign_positive());
        assert!(Coordinates::longitude_in_range(-0.0).unwrap().is_sign_positive());
        assert_eq!(
            Coordinates::new(-33.5, -0.25).unwrap().latitude(),
            -33.5,
            "other signs stay"
        );
    }

    #[test]
    fn coordinates_stay_on_the_globe_and_name_the_field_at_fault() {
        assert!(Coordinates::new(52.52, 13.405).is_ok());
        assert!(Coordinates::new(-90.0, 180.0).is_ok());
        assert_eq!(Coordinates::new(90.5, 0.0).unwrap_err().0, "latitude");
        assert_eq!(Coordinates::new(0.0, -180.01).unwrap_err().0, "longitude");
        assert_eq!(Coordinates::new(f64::NAN, 0.0).unwrap_err().0, "latitude");
        assert_eq!(Coordinates::new(0.0, f64::INFINITY).unwrap_err().0, "longitude");
    }

    #[test]
    fn online_links_are_web_pages_without_credentials() {
        for good in [
            "https://meet.example.org/rust",
            "http://example.org",
            "https://例子.中国/会议?id=1#x",
        ] {
            assert!(OnlineUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://example.org/",
            "mailto:a@example.org",
            "//example.org",
            "example.org",
            "https://",
            "https://user:pw@example.org/",
            "https://bank.example@evil.example/",
            "https://exa mple.org/",
            "",
        ] {
            assert!(OnlineUrl::parse(bad).is_err(), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(OnlineUrl::MAX_CHARS));
        assert!(OnlineUrl::parse(long).is_err());
    }

    #[test]
    fn venues_are_one_line_and_addresses_may_break_lines() {
        assert!(Venue::parse("Café Central").is_ok());
        assert!(Venue::parse("Hall\nB").is_err());
        assert!(Venue::parse("x".repeat(201)).is_err());
        assert!(Address::parse("Herrengasse 14\n1010 Wien").is_ok());
        assert!(Address::parse("x".repeat(501)).is_err());
        assert!(Address::parse("   ").is_err());
    }

    #[test]
    fn changes_apply_part_by_part() {
        let stored = StoredPlace {
            venue: Some("Hall".into()),
            address: Some("Main St 1".into()),
            coordinates: Some(Coordinates::new(1.0, 2.0).unwrap()),
            online_url: None,
        };
        let changed = stored.changed(PlaceChanges {
            venue: Some(None),
            online_url: Some(Some(OnlineUrl::parse("https://example.org/").unwrap())),
            ..Default::default()
        });
        assert_eq!(changed.venue, None);
        assert_eq!(changed.address.as_deref(), Some("Main St 1"));
        assert_eq!(changed.coordinates, Some(Coordinates::new(1.0, 2.0).unwrap()));
        assert_eq!(changed.online_url.as_deref(), Some("https://example.org/"));
        assert_eq!(StoredPlace::coordinates_from(Some(1.0), None), None);
    }
}
