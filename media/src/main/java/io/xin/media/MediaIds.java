package io.xin.media;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Makes upload ids and checks every id, hash and content type that comes from outside, before any of them
 * is used in a path or a file. The checks are strict whitelists (fixed length, fixed alphabet), so nothing
 * like {@code ../}, a separator, an absolute path, a NUL or an overlong name ever reaches the filesystem.
 */
public final class MediaIds
{
    /** Length of an upload id: 16 random bytes (128 bits) in unpadded base64url. */
    public static final int UPLOAD_ID_LENGTH = 22;
    /** Length of a blob id: the SHA-256 of its bytes in lowercase hex. */
    public static final int BLOB_ID_LENGTH = 64;
    /** Longest content type accepted (RFC 6838 allows 127 characters on each side of the slash). */
    public static final int MAX_CONTENT_TYPE_LENGTH = 127;

    private static final int UPLOAD_ID_BYTES = 16;
    private static final Base64.Encoder URL_ENCODER = Base64.getUrlEncoder().withoutPadding();

    /** Thread safe; seeded by the JDK from the operating system. */
    private static final SecureRandom RANDOM = new SecureRandom();

    private MediaIds()
    {
    }

    /**
     * @return a new upload id: 128 bits from {@link SecureRandom}, URL-safe, never guessable.
     */
    public static String newUploadId()
    {
        final byte[] bytes = new byte[UPLOAD_ID_BYTES];
        RANDOM.nextBytes(bytes);
        return URL_ENCODER.encodeToString(bytes);
    }

    /**
     * @param id an upload id from outside.
     * @return true if it has the form of an upload id: exactly 22 characters of {@code [A-Za-z0-9_-]}.
     */
    public static boolean isUploadId(final String id)
    {
        if (id == null || id.length() != UPLOAD_ID_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < id.length(); i++)
        {
            final char c = id.charAt(i);
            final boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param id a blob id (a SHA-256) from outside.
     * @return true if it is exactly 64 lowercase hex digits. Uppercase is refused, so one blob has one name.
     */
    public static boolean isBlobId(final String id)
    {
        if (id == null || id.length() != BLOB_ID_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < id.length(); i++)
        {
            final char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param id an upload id from outside.
     * @return the id, checked.
     * @throws MediaException ({@link MediaException.Reason#INVALID_ARGUMENT}) if it is not an upload id.
     */
    public static String requireUploadId(final String id)
    {
        if (!isUploadId(id))
        {
            throw new MediaException(MediaException.Reason.INVALID_ARGUMENT, "not an upload id: " + printable(id));
        }
        return id;
    }

    /**
     * @param id a blob id from outside.
     * @return the id, checked.
     * @throws MediaException ({@link MediaException.Reason#INVALID_ARGUMENT}) if it is not a blob id.
     */
    public static String requireBlobId(final String id)
    {
        if (!isBlobId(id))
        {
            throw new MediaException(MediaException.Reason.INVALID_ARGUMENT,
                "not a blob id (64 lowercase hex digits): " + printable(id));
        }
        return id;
    }

    /**
     * Checks a content type and returns it in lowercase. Only
     * {@code type/subtype} is accepted, each an RFC 6838 restricted name, no parameters.
     *
     * @param contentType a content type from outside, such as {@code image/jpeg}.
     * @return it in lowercase.
     * @throws MediaException ({@link MediaException.Reason#INVALID_ARGUMENT}) if it is malformed.
     */
    public static String requireContentType(final String contentType)
    {
        if (contentType == null || contentType.isEmpty() || contentType.length() > MAX_CONTENT_TYPE_LENGTH)
        {
            throw new MediaException(MediaException.Reason.INVALID_ARGUMENT,
                "not a content type: " + printable(contentType));
        }
        final int slash = contentType.indexOf('/');
        if (slash <= 0 || slash == contentType.length() - 1 || contentType.indexOf('/', slash + 1) >= 0)
        {
            throw new MediaException(MediaException.Reason.INVALID_ARGUMENT,
                "not a content type (type/subtype): " + printable(contentType));
        }
        for (int i = 0; i < contentType.length(); i++)
        {
            final char c = contentType.charAt(i);
            final boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '/' || c == '!' || c == '#' || c == '$' || c == '&' || c == '-' || c == '^' || c == '_' ||
                c == '.' || c == '+';
            if (!ok)
            {
                throw new MediaException(MediaException.Reason.INVALID_ARGUMENT,
                    "not a content type (character " + (int)c + "): " + printable(contentType));
            }
        }
        return contentType.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * @param sha256 32 bytes.
     * @return them as a blob id: lowercase hex.
     */
    public static String blobId(final byte[] sha256)
    {
        return HexFormat.of().formatHex(sha256);
    }

    /** A value from outside for an error message: cut short and with control characters escaped. */
    static String printable(final String value)
    {
        if (value == null)
        {
            return "null";
        }
        final int max = 80;
        final StringBuilder out = new StringBuilder(Math.min(value.length(), max) + 8).append('"');
        for (int i = 0; i < value.length() && i < max; i++)
        {
            final char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f)
            {
                out.append(String.format("\\x%02x", (int)c));
            }
            else
            {
                out.append(c);
            }
        }
        if (value.length() > max)
        {
            out.append("...(").append(value.length()).append(" chars)");
        }
        return out.append('"').toString();
    }
}
