//! Avatar images are never stored as uploaded: each is decoded within pixel limits, scaled down to avatar
//! size, and encoded afresh. What comes out is only pixels — no metadata (location, camera), no trailing
//! bytes, no file that is an image to one program and HTML or script to another.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use plaza_domain::avatar::ImageKind;

use crate::error::AppError;

/// Turns uploaded bytes into the image that is stored.
#[cfg_attr(test, mockall::automock)]
pub trait AvatarImages: Send + Sync {
    /// The image to store and its kind; `UnsupportedMedia` for bytes that are not a readable PNG, JPEG,
    /// GIF or WebP, `PayloadTooLarge` for an image with too many pixels.
    fn normalize(&self, uploaded: &[u8]) -> Result<(ImageKind, Vec<u8>), AppError>;
}

/// Re-encodes with the `image` crate: photos (JPEG) as JPEG, everything else as PNG (which keeps
/// transparency); an animated GIF keeps its first frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReencodedAvatars;

impl ReencodedAvatars {
    /// The largest side an uploaded image may have.
    pub const MAX_SIDE: u32 = 8192;
    /// The largest side of a stored avatar: larger images are scaled down to fit.
    pub const AVATAR_SIDE: u32 = 512;
    /// What decoding one image may allocate.
    const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
    const JPEG_QUALITY: u8 = 85;
}

const UNREADABLE: &str = "the avatar must be a PNG, JPEG, GIF or WebP image";

impl AvatarImages for ReencodedAvatars {
    fn normalize(&self, uploaded: &[u8]) -> Result<(ImageKind, Vec<u8>), AppError> {
        let kind = ImageKind::sniff(uploaded).ok_or(AppError::UnsupportedMedia(UNREADABLE))?;
        let format = match kind {
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Gif => ImageFormat::Gif,
            ImageKind::Webp => ImageFormat::WebP,
        };
        let mut limits = Limits::default();
        limits.max_image_width = Some(Self::MAX_SIDE);
        limits.max_image_height = Some(Self::MAX_SIDE);
        limits.max_alloc = Some(Self::MAX_DECODE_BYTES);
        let mut reader = ImageReader::with_format(Cursor::new(uploaded), format);
        reader.limits(limits);
        let image = reader.decode().map_err(|error| match error {
            image::ImageError::Limits(_) => {
                AppError::PayloadTooLarge("the avatar may be at most 8192 pixels wide and high")
            }
            _ => AppError::UnsupportedMedia(UNREADABLE),
        })?;
        let image = if image.width() > Self::AVATAR_SIDE || image.height() > Self::AVATAR_SIDE {
            image.resize(
                Self::AVATAR_SIDE,
                Self::AVATAR_SIDE,
                image::imageops::FilterType::Triangle,
            )
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
        let (kind, stored) = ReencodedAvatars.normalize(&polyglot).unwrap();
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
        match ReencodedAvatars.normalize(&gif) {
            Err(AppError::UnsupportedMedia(_) | AppError::PayloadTooLarge(_)) => {}
            Ok((kind, stored)) => {
                assert_eq!(kind, ImageKind::Png);
                assert!(!stored.windows(5).any(|w| w == b"alert"), "only pixels are kept");
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        let real = encoded(&picture(8, 8), ImageFormat::Gif);
        let (kind, stored) = ReencodedAvatars.normalize(&real).unwrap();
        assert_eq!(kind, ImageKind::Png);
        assert!(stored.starts_with(b"\x89PNG"));
    }

    #[test]
    fn photos_stay_jpeg_and_large_images_are_scaled_down() {
        let photo = encoded(
            &DynamicImage::ImageRgb8(picture(1200, 600).to_rgb8()),
            ImageFormat::Jpeg,
        );
        let (kind, stored) = ReencodedAvatars.normalize(&photo).unwrap();
        assert_eq!(kind, ImageKind::Jpeg);
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (512, 256));
    }

    #[test]
    fn text_and_truncated_images_are_refused() {
        assert!(matches!(
            ReencodedAvatars.normalize(b"hello, I am a PNG"),
            Err(AppError::UnsupportedMedia(_))
        ));
        let png = encoded(&picture(32, 32), ImageFormat::Png);
        assert!(matches!(
            ReencodedAvatars.normalize(&png[..png.len() / 2]),
            Err(AppError::UnsupportedMedia(_))
        ));
    }

    #[test]
    fn images_with_too_many_pixels_are_refused_before_decoding() {
        // A valid PNG header claiming 20000 × 20000 pixels: decoding would need 1.6 GB.
        let mut png = encoded(&picture(1, 1), ImageFormat::Png);
        png[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            ReencodedAvatars.normalize(&png),
            Err(AppError::PayloadTooLarge(_))
        ));
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
