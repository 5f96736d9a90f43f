"""Clinical photographs: the standard views, what is kept of an upload, and who may see them.

An upload is accepted only when its bytes decode as a JPEG, PNG or WebP image (the declared
content type and the file name are not trusted). What is stored is a new encoding of the
pixels alone, turned upright by the camera's orientation tag first: EXIF (GPS location, camera
make and serial number, time), XMP, ICC profiles and comments are all left behind. The bytes
live in the document store under an unguessable key, never under the web root.

A photo's ``marketing_consent`` is off unless the patient agreed for that photo; a photo
without it is clinical only.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image, ImageOps, UnidentifiedImageError

from regenaid.clinic.documents import new_document_key, sha256_of
from regenaid.clinic.ids import new_id
from regenaid.clinic.outcomes import outcome_catalogue
from regenaid.errors import InvalidInputError

PHOTO_MAX_BYTES = 15 * 1024 * 1024  # a phone camera's JPEG is 2-8 MB
PHOTO_MAX_PIXELS = 50_000_000  # Pillow's own decompression-bomb check starts at ~89 M
PHOTO_MIN_SIDE = 64
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class Photo:
    id: str
    clinic_id: str
    patient_id: str
    view: str
    taken_on: date
    file_key: str
    sha256: str
    content_type: str
    width: int
    height: int
    byte_size: int
    marketing_consent: bool
    recorded_at: datetime
    recorded_by: str
    course_id: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CleanImage:
    content: bytes
    content_type: str
    width: int
    height: int


def clean_image(data: bytes) -> CleanImage:
    """The upload re-encoded without any metadata, upright; :class:`InvalidInputError`
    naming ``photo`` when it is empty, too large, not an image or not JPEG/PNG/WebP."""
    if not data:
        raise InvalidInputError("photo", "the file is empty")
    if len(data) > PHOTO_MAX_BYTES:
        raise InvalidInputError("photo", f"at most {PHOTO_MAX_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            kind = image.format
            if kind not in _FORMATS:
                raise InvalidInputError(
                    "photo", f"a {kind or 'unknown'} file; JPEG, PNG or WebP only", list(_FORMATS)
                )
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise InvalidInputError("photo", "more than 50 megapixels")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except InvalidInputError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise InvalidInputError("photo", "is not a readable JPEG, PNG or WebP image") from None
    if min(upright.width, upright.height) < PHOTO_MIN_SIDE:
        raise InvalidInputError("photo", f"at least {PHOTO_MIN_SIDE} pixels on each side")
    if upright.mode == "P":  # palette images: keep transparency, drop the palette's metadata
        upright = upright.convert("RGBA")
    pixels = Image.new(upright.mode, upright.size)  # a new image: no info dict carried over
    pixels.paste(upright)
    if kind == "JPEG":
        if pixels.mode not in ("RGB", "L"):
            pixels = pixels.convert("RGB")
        out = io.BytesIO()
        pixels.save(out, format="JPEG", quality=92, optimize=True)
    else:
        out = io.BytesIO()
        pixels.save(out, format=kind)
    return CleanImage(out.getvalue(), _FORMATS[kind], pixels.width, pixels.height)


def check_view(view: str, concern: str) -> str:
    views = outcome_catalogue().views.get(concern, ())
    if view not in views:
        raise InvalidInputError("view", f"not a standard {concern} view", list(views))
    return view


def new_photo(
    *,
    clinic_id: str,
    patient_id: str,
    concern: str,
    view: str,
    taken_on: date,
    image: CleanImage,
    recorded_by: str,
    now: datetime,
    course_id: str | None = None,
    marketing_consent: bool = False,
    note: str | None = None,
) -> Photo:
    check_view(view, concern)
    if not isinstance(taken_on, date) or isinstance(taken_on, datetime):
        raise InvalidInputError("taken_on", "must be a date (YYYY-MM-DD)")
    if taken_on > now.date():
        raise InvalidInputError("taken_on", "is in the future")
    if not isinstance(marketing_consent, bool):
        raise InvalidInputError("marketing_consent", "must be true or false")
    text = (note or "").strip() or None
    if text is not None and len(text) > NOTE_MAX:
        raise InvalidInputError("note", f"at most {NOTE_MAX} characters")
    return Photo(
        id=new_id(),
        clinic_id=clinic_id,
        patient_id=patient_id,
        view=view,
        taken_on=taken_on,
        file_key=new_document_key(_EXTENSIONS[image.content_type]),
        sha256=sha256_of(image.content),
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        byte_size=len(image.content),
        marketing_consent=marketing_consent,
        recorded_at=now,
        recorded_by=recorded_by,
        course_id=course_id,
        note=text,
    )
