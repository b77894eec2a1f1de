//! Avatar images are never stored as uploaded: each is decoded within pixel limits, scaled down to avatar
//! size, and encoded afresh. What comes out is only pixels — no metadata (location, camera), no trailing
//! bytes, no file that is an image to one program and HTML or script to another.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use plaza_domain::avatar::ImageKind;

use crate::error::AppError;
use crate::limit::WorkLimit;

/// Turns uploaded bytes into the image that is stored.
#[cfg_attr(test, mockall::automock)]
pub trait AvatarImages: Send + Sync {
    /// The image to store and its kind, scaled down to at most `largest_side` pixels a side;
    /// `UnsupportedMedia` for bytes that are not a readable PNG, JPEG, GIF or WebP, `PayloadTooLarge` for an
    /// image with too many pixels.
    fn normalize_within(&self, uploaded: &[u8], largest_side: u32) -> Result<(ImageKind, Vec<u8>), AppError>;

    /// [`normalize_within`](Self::normalize_within) avatar size.
    fn normalize(&self, uploaded: &[u8]) -> Result<(ImageKind, Vec<u8>), AppError> {
        self.normalize_within(uploaded, ReencodedAvatars::AVATAR_SIDE)
    }
}

/// Re-encodes with the `image` crate: photos (JPEG) as JPEG, everything else as PNG (which keeps
/// transparency); an animated GIF keeps its first frame.
///
/// Decoding is the one step whose memory grows with what a client sends (a 260 KB PNG can claim
/// 8192 × 8192 pixels), so it is bounded twice: each decode by [`MAX_PIXELS`](Self::MAX_PIXELS) and
/// [`MAX_DECODE_BYTES`](Self::MAX_DECODE_BYTES), and how many run at once by a [`WorkLimit`] (a few at
/// once, a short queue, `503` with `Retry-After` past it).
#[derive(Debug)]
pub struct ReencodedAvatars {
    limit: WorkLimit,
}

impl ReencodedAvatars {
    /// The largest side an uploaded image may have.
    pub const MAX_SIDE: u32 = 8192;
    /// The most pixels an uploaded image may have: 16 megapixels, such as 4096 × 4096.
    pub const MAX_PIXELS: u64 = 16 * 1024 * 1024;
    /// What decoding one image may allocate: 16 megapixels at 4 bytes a pixel (8-bit RGBA). Images with
    /// 16 bits a channel take twice the bytes, so they may have half the pixels.
    pub const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;
    /// The largest side of a stored avatar: larger images are scaled down to fit.
    pub const AVATAR_SIDE: u32 = 512;
    /// The largest side of a stored event picture.
    pub const EVENT_IMAGE_SIDE: u32 = 1600;
    const JPEG_QUALITY: u8 = 85;

    pub fn new(limit: WorkLimit) -> Self {
        Self { limit }
    }

    /// Two decodes at once and two waiting, none longer than two seconds, however many cores there are:
    /// decoding is bounded by memory, not CPU. A 16-megapixel image holds 64 MiB of pixels and about half
    /// that again while it is scaled (a progressive JPEG's coefficients hold up to 96 MiB more while
    /// it decodes), so decoding never holds much more than 300 MiB however many uploads arrive.
    pub fn bounded() -> Self {
        Self::new(WorkLimit::new(2, 2, std::time::Duration::from_secs(2)))
    }

    fn reader(uploaded: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
        let mut limits = Limits::default();
        limits.max_image_width = Some(Self::MAX_SIDE);
        limits.max_image_height = Some(Self::MAX_SIDE);
        limits.max_alloc = Some(Self::MAX_DECODE_BYTES);
        let mut reader = ImageReader::with_format(Cursor::new(uploaded), format);
        reader.limits(limits);
        reader
    }
}

const UNREADABLE: &str = "the image must be a PNG, JPEG, GIF or WebP image";
const TOO_LARGE: &str =
    "the image may have at most 16 megapixels (such as 4096 × 4096) and 8192 pixels a side";

fn decode_error(error: image::ImageError) -> AppError {
    match error {
        image::ImageError::Limits(_) => AppError::PayloadTooLarge(TOO_LARGE),
        _ => AppError::UnsupportedMedia(UNREADABLE),
    }
}

impl AvatarImages for ReencodedAvatars {
    fn normalize_within(&self, uploaded: &[u8], largest_side: u32) -> Result<(ImageKind, Vec<u8>), AppError> {
        let kind = ImageKind::sniff(uploaded).ok_or(AppError::UnsupportedMedia(UNREADABLE))?;
        let format = match kind {
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Gif => ImageFormat::Gif,
            ImageKind::Webp => ImageFormat::WebP,
        };
        // The header alone says how large the image claims to be: refused before any pixel is decoded.
        let (width, height) = Self::reader(uploaded, format)
            .into_dimensions()
            .map_err(decode_error)?;
        if u64::from(width) * u64::from(height) > Self::MAX_PIXELS {
            return Err(AppError::PayloadTooLarge(TOO_LARGE));
        }
        self.limit
            .run(|| Self::reencode(uploaded, format, kind, largest_side))?
    }
}

impl ReencodedAvatars {
    fn reencode(
        uploaded: &[u8],
        format: ImageFormat,
        kind: ImageKind,
        largest_side: u32,
    ) -> Result<(ImageKind, Vec<u8>), AppError> {
        let image = Self::reader(uploaded, format).decode().map_err(decode_error)?;
        let image = if image.width() > largest_side || image.height() > largest_side {
            image.resize(largest_side, largest_side, image::imageops::FilterType::Triangle)
        } else {
            image
        };
        let mut encoded = Vec::new();
        let stored = if kind == ImageKind::Jpeg {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, Self::JPEG_QUALITY);
            rgb.write_with_encoder(encoder).map_err(AppError::internal)?;
            ImageKind::Jpeg
        } else {
            image
                .write_to(&mut Cursor::new(&mut encoded), ImageFormat::Png)
                .map_err(AppError::internal)?;
            ImageKind::Png
        };
        Ok((stored, encoded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avatars() -> ReencodedAvatars {
        ReencodedAvatars::bounded()
    }

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Vec::new();
        image.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
        bytes
    }

    fn picture(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(image::RgbaImage::from_fn(width, height, |x, y| {
            image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
        }))
    }

    #[test]
    fn a_png_with_html_after_it_is_stored_as_pixels_only() {
        let mut polyglot = encoded(&picture(16, 16), ImageFormat::Png);
        polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let (kind, stored) = avatars().normalize(&polyglot).unwrap();
        assert_eq!(kind, ImageKind::Png);
        assert!(
            !stored.windows(7).any(|w| w == b"<script"),
            "the trailing HTML is gone"
        );
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (16, 16));
    }

    #[test]
    fn a_gif_that_is_also_javascript_is_re_encoded() {
        let mut gif = b"GIF89a/*".to_vec();
        gif.extend_from_slice(b"*/=1;alert(document.domain)//");
        match avatars().normalize(&gif) {
            Err(AppError::UnsupportedMedia(_) | AppError::PayloadTooLarge(_)) => {}
            Ok((kind, stored)) => {
                assert_eq!(kind, ImageKind::Png);
                assert!(!stored.windows(5).any(|w| w == b"alert"), "only pixels are kept");
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        let real = encoded(&picture(8, 8), ImageFormat::Gif);
        let (kind, stored) = avatars().normalize(&real).unwrap();
        assert_eq!(kind, ImageKind::Png);
        assert!(stored.starts_with(b"\x89PNG"));
    }

    #[test]
    fn photos_stay_jpeg_and_large_images_are_scaled_down() {
        let photo = encoded(
            &DynamicImage::ImageRgb8(picture(1200, 600).to_rgb8()),
            ImageFormat::Jpeg,
        );
        let (kind, stored) = avatars().normalize(&photo).unwrap();
        assert_eq!(kind, ImageKind::Jpeg);
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (512, 256));
    }

    #[test]
    fn text_and_truncated_images_are_refused() {
        assert!(matches!(
            avatars().normalize(b"hello, I am a PNG"),
            Err(AppError::UnsupportedMedia(_))
        ));
        let png = encoded(&picture(32, 32), ImageFormat::Png);
        assert!(matches!(
            avatars().normalize(&png[..png.len() / 2]),
            Err(AppError::UnsupportedMedia(_))
        ));
    }

    /// A 1 × 1 PNG whose header claims `width` × `height` pixels (with the header's checksum right).
    fn claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = encoded(&picture(1, 1), ImageFormat::Png);
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn images_with_too_many_pixels_are_refused_before_decoding() {
        let too_large = |width, height| {
            matches!(
                avatars().normalize(&claiming(width, height)),
                Err(AppError::PayloadTooLarge(_))
            )
        };
        // Decoding would need 1.6 GB.
        assert!(too_large(20_000, 20_000));
        // Within 8192 a side, but 256 MiB to decode: what 12 parallel uploads turned into 3.7 GB.
        assert!(too_large(8192, 8192));
        assert!(too_large(4096, 4097));
        assert!(too_large(8193, 1));
        // At the allowance the header passes, and the missing pixels are what is wrong.
        for (width, height) in [(4096, 4096), (8192, 2048)] {
            assert!(
                matches!(
                    avatars().normalize(&claiming(width, height)),
                    Err(AppError::UnsupportedMedia(_))
                ),
                "{width} × {height}"
            );
        }
    }

    #[test]
    fn sixteen_bit_images_have_half_the_pixels() {
        // 16-bit RGBA takes 8 bytes a pixel: 3000 × 3000 is 9 megapixels but 69 MB to decode.
        let mut png = encoded(
            &DynamicImage::ImageRgba16(image::ImageBuffer::new(1, 1)),
            ImageFormat::Png,
        );
        png[16..20].copy_from_slice(&3000u32.to_be_bytes());
        png[20..24].copy_from_slice(&3000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            avatars().normalize(&png),
            Err(AppError::PayloadTooLarge(_))
        ));
    }

    #[test]
    fn past_its_limit_a_decode_is_turned_away() {
        let busy = ReencodedAvatars::new(WorkLimit::new(1, 0, std::time::Duration::from_millis(10)));
        let png = encoded(&picture(16, 16), ImageFormat::Png);
        let (entered, release) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                busy.limit
                    .run(|| {
                        entered.wait();
                        release.wait();
                    })
                    .unwrap();
            });
            entered.wait();
            assert!(matches!(busy.normalize(&png), Err(AppError::Overloaded(_))));
            release.wait();
        });
        assert!(busy.normalize(&png).is_ok(), "free again");
    }

    /// PNG's chunk checksum (CRC-32, polynomial 0xEDB88320).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
