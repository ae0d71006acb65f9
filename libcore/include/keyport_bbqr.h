/*
 * keyport_bbqr.h: BBQr, Coinkite's split of a file into a sequence of QR codes
 * (https://github.com/coinkite/BBQr, BBQr.md), for the hand-off across the air gap.
 * Included by keyport.h; the house rules at the top of keyport.h hold here too.
 *
 * A frame is text in the QR alphanumeric alphabet: an 8-character header, then data.
 *
 *     B$ <encoding> <file type> <count: 2 base36 digits> <index: 2 base36 digits> <data>
 *
 * - encoding: 'H' upper-case hex, '2' RFC 4648 base32 without padding, 'Z' raw deflate
 *   (zlib, window 2^10, no zlib header) then base32.
 * - file type: one upper-case letter or digit; BBQr defines 'P' PSBT, 'T' transaction,
 *   'J' JSON, 'C' CBOR, 'U' UTF-8 text, 'X' executable, 'B' binary. keyport hands out JSON
 *   documents as 'J' and any other file as 'B'.
 * - count: 1..1295 frames ("01".."ZZ"); index: 0..count-1. Every frame but the last has the
 *   same data length (a multiple of 8 characters for base32, of 2 for hex); the last is not longer.
 *
 * The joiner takes frames in any order. A frame seen again with the same data is a duplicate and
 * harmless; a frame whose index was seen with other data, or whose encoding, type or count differ
 * from the first frame's, is refused and the joiner is unchanged. The joined file is decoded only at
 * kp_bbqr_joiner_finish, never larger than the joiner's max_bytes (a deflate bomb stops there).
 * The payloads are not secret (requests, bundles, responses are public or encrypted); buffers are
 * still wiped when freed.
 */
#ifndef KEYPORT_BBQR_H
#define KEYPORT_BBQR_H

#include "keyport.h" /* KP_API, kp_status, kp_buf; it includes this header after them */

#ifdef __cplusplus
extern "C" {
#endif

#define KP_BBQR_HEADER_CHARS 8
#define KP_BBQR_MAX_FRAMES   1295  /* "ZZ" in base36 */

/* Encodings (the third header character). KP_BBQR_AUTO, for kp_bbqr_split only: 'Z' when the
 * compressed data is shorter than plain base32, else '2'. */
#define KP_BBQR_AUTO   0
#define KP_BBQR_HEX    'H'
#define KP_BBQR_BASE32 '2'
#define KP_BBQR_ZLIB   'Z'

/* File types (the fourth header character) that keyport writes. */
#define KP_BBQR_TYPE_JSON    'J'
#define KP_BBQR_TYPE_TEXT    'U'
#define KP_BBQR_TYPE_BINARY  'B'

/** The most characters a QR code of this version (1..40) holds in alphanumeric mode at error
 *  correction level L (ISO/IEC 18004 table 7): what a frame of kp_bbqr_split may use so that the
 *  frame fits that version. Returns 0 for a version outside 1..40. */
KP_API size_t kp_bbqr_version_chars(int version);

/** The frames of one file. text[i] is frame i, a NUL-terminated string of len[i] characters. */
typedef struct kp_bbqr_frames {
    size_t count;
    char **text;
    size_t *len;
    char encoding;   /* the encoding chosen: 'H', '2' or 'Z' */
} kp_bbqr_frames;

/** Splits data[0..len) (len >= 1) into frames of at most max_chars characters each (header
 *  included; must be at least KP_BBQR_HEADER_CHARS + 8). file_type: an upper-case letter or digit.
 *  encoding: KP_BBQR_AUTO, 'H', '2' or 'Z'. The frames are balanced: all but the last have the
 *  same length, and as few frames are used as max_chars allows.
 *  Returns KP_OK, KP_ERR_EMPTY, KP_ERR_TOO_LARGE (more than 1295 frames would be needed),
 *  KP_ERR_NOMEM, KP_ERR_INTERNAL (zlib). On failure *out is zeroed. Free with kp_bbqr_frames_free. */
KP_API kp_status kp_bbqr_split(kp_bbqr_frames *out, const uint8_t *data, size_t len, char file_type,
                               int encoding, size_t max_chars);
/** Wipes and frees the frames and zeroes *f. NULL or a zeroed struct is a no-op. */
KP_API void kp_bbqr_frames_free(kp_bbqr_frames *f);

/* ---------------------------------------------------------------- joining */

typedef struct kp_bbqr_joiner kp_bbqr_joiner;

/** What kp_bbqr_joiner_add made of a frame. */
typedef enum kp_bbqr_add_result {
    KP_BBQR_ACCEPTED  = 1,  /* a new frame: KP_OK */
    KP_BBQR_DUPLICATE = 2,  /* this index with the same data was already there: KP_OK, nothing changes */
    KP_BBQR_CONFLICT  = 3,  /* this index was already there with other data: KP_ERR_BBQR_MISMATCH */
    KP_BBQR_MISMATCH  = 4,  /* encoding, type or count differ from the first frame's, or the data
                               length breaks the equal-length rule: KP_ERR_BBQR_MISMATCH */
    KP_BBQR_BAD_FRAME = 5   /* not a BBQr frame (header, base36, alphabet): KP_ERR_BBQR */
} kp_bbqr_add_result;

/** A new, empty joiner. max_bytes (>= 1): the largest joined file finish will produce.
 *  Returns KP_OK or KP_ERR_NOMEM. */
KP_API kp_status kp_bbqr_joiner_new(kp_bbqr_joiner **out, size_t max_bytes);
/** Wipes and frees. NULL is a no-op. */
KP_API void kp_bbqr_joiner_free(kp_bbqr_joiner *j);

/** Adds one frame's text (len characters; trailing CR, LF, spaces and tabs are ignored, and
 *  lower-case letters are taken as upper case, as keyboard-wedge scanners may type them).
 *  *result (may be NULL) says what happened; kp_error_detail() says why a frame was refused
 *  (for instance "frame 3 says 12 frames, earlier frames said 11").
 *  Returns KP_OK (accepted or duplicate), KP_ERR_BBQR (bad frame), KP_ERR_BBQR_MISMATCH
 *  (conflict or mismatch), KP_ERR_TOO_LARGE (the frames already exceed what max_bytes could
 *  need), KP_ERR_NOMEM. On any error the joiner is unchanged. */
KP_API kp_status kp_bbqr_joiner_add(kp_bbqr_joiner *j, kp_bbqr_add_result *result, const char *text, size_t len);

/** The number of frames the file has (0 before the first frame is accepted). */
KP_API size_t kp_bbqr_joiner_count(const kp_bbqr_joiner *j);
/** The number of distinct frames accepted so far. */
KP_API size_t kp_bbqr_joiner_received(const kp_bbqr_joiner *j);
/** Non-zero when frame index has been accepted. */
KP_API int kp_bbqr_joiner_has(const kp_bbqr_joiner *j, size_t index);
/** Writes up to cap missing indexes (ascending) to out (may be NULL when cap is 0) and returns how
 *  many are missing in all. Before the first frame: 0 (nothing is known yet). */
KP_API size_t kp_bbqr_joiner_missing(const kp_bbqr_joiner *j, size_t *out, size_t cap);
/** Non-zero when every frame is there. */
KP_API int kp_bbqr_joiner_complete(const kp_bbqr_joiner *j);
/** The header's file type and encoding characters (0 before the first frame). */
KP_API char kp_bbqr_joiner_file_type(const kp_bbqr_joiner *j);
KP_API char kp_bbqr_joiner_encoding(const kp_bbqr_joiner *j);

/** Decodes the joined file: appends its bytes to out and sets *file_type (may be NULL).
 *  The joiner stays as it is (finish may be called again).
 *  Returns KP_OK, KP_ERR_NOT_ENOUGH (frames missing: the detail names the first ones),
 *  KP_ERR_BBQR (the data does not decode: bad base32/hex padding, a broken deflate stream),
 *  KP_ERR_TOO_LARGE (more than max_bytes), KP_ERR_NOMEM. On failure out is left as it was. */
KP_API kp_status kp_bbqr_joiner_finish(kp_bbqr_joiner *j, kp_buf *out, char *file_type);

#ifdef __cplusplus
}
#endif

#endif
