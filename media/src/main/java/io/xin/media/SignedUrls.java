package io.xin.media;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Expiring signatures that let a URL stand for a right: this method on this blob or upload until this time. A
 * token is {@code <expiry, epoch seconds>.<key id>.<HMAC-SHA256, unpadded base64url>}; the MAC covers a version
 * tag, the method, the resource id and the expiry, each on its own line, so no field can be moved into another.
 * Verification recomputes the MAC with the key the token names and compares in constant time
 * ({@link MessageDigest#isEqual}); only then does it look at the expiry.
 * <p>
 * Key rotation: tokens are signed with the current key; the previous keys are still accepted for verification,
 * so tokens handed out before a rotation work until they expire. Drop a previous key once the longest expiry
 * signed with it has passed.
 * <p>
 * A resource is a blob or upload id, or the media server's path of one ({@value #UPLOADS_PATH}&lt;upload id&gt;,
 * {@value #BLOBS_PATH}&lt;blob id&gt;). The two forms sign different bytes, so a token is valid for the form
 * it was signed for only; the media server accepts either.
 * <p>
 * Thread safe: keys are immutable and each call makes its own {@link Mac}.
 */
public final class SignedUrls
{
    /** Shortest secret accepted: HMAC-SHA256's own output length. */
    public static final int MIN_SECRET_BYTES = 32;
    /** Longest key id, in {@code [A-Za-z0-9_-]}. */
    public static final int MAX_KEY_ID_LENGTH = 32;
    /** Longest token verification looks at; anything longer is malformed without parsing. */
    public static final int MAX_TOKEN_LENGTH = 128;
    /** Longest method, uppercase ASCII letters. */
    public static final int MAX_METHOD_LENGTH = 16;
    /** The media server's path of an upload, before its id. */
    public static final String UPLOADS_PATH = "/media/v1/uploads/";
    /** The media server's path of a blob, before its id. */
    public static final String BLOBS_PATH = "/media/v1/blobs/";

    private static final String VERSION = "xin-media-v1";

    /** The outcome of a verification. */
    public enum Verdict
    {
        /** Signed by a known key for exactly this method and resource, not expired. */
        VALID,
        /** Authentic, but its expiry has passed. */
        EXPIRED,
        /** The MAC does not match: tampered, signed for something else, or with an unknown key. */
        BAD_SIGNATURE,
        /** Not a token at all: wrong shape, too long, bad characters, or an invalid method or resource. */
        MALFORMED
    }

    /**
     * A signing key.
     *
     * @param id     a short name carried in each token, so verification picks the key without trying them all.
     * @param secret at least {@link #MIN_SECRET_BYTES} random bytes; copied.
     */
    public record Key(String id, byte[] secret)
    {
        /**
         * @throws IllegalArgumentException if the id is not 1 to 32 characters of {@code [A-Za-z0-9_-]} or the
         *                                  secret is shorter than 32 bytes.
         */
        public Key
        {
            if (!isKeyId(id))
            {
                throw new IllegalArgumentException("key id must be 1 to " + MAX_KEY_ID_LENGTH +
                    " characters of [A-Za-z0-9_-]: " + MediaIds.printable(id));
            }
            if (secret == null || secret.length < MIN_SECRET_BYTES)
            {
                throw new IllegalArgumentException("key secret must be at least " + MIN_SECRET_BYTES + " bytes");
            }
            secret = secret.clone();
        }

        @Override
        public byte[] secret()
        {
            return secret.clone();
        }

        @Override
        public String toString()
        {
            return "Key[id=" + id + "]";
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Key key && key.id.equals(id) && Arrays.equals(key.secret, secret);
        }

        @Override
        public int hashCode()
        {
            return id.hashCode();
        }
    }

    private final Key current;
    /** The current key and the previous ones, by id. */
    private final Map<String, SecretKeySpec> verifying;
    private final Clock clock;

    /**
     * @param current  the key new tokens are signed with.
     * @param previous keys still accepted for verification (after a rotation); may be empty.
     * @param clock    the time expiries are checked against.
     * @throws IllegalArgumentException if a key is missing or two keys share an id.
     */
    public SignedUrls(final Key current, final List<Key> previous, final Clock clock)
    {
        if (current == null || previous == null || clock == null)
        {
            throw new IllegalArgumentException("current key, previous keys and clock are required");
        }
        this.current = current;
        this.clock = clock;
        final Map<String, SecretKeySpec> keys = new HashMap<>();
        keys.put(current.id(), HmacTokens.secretKey(current));
        for (final Key key : previous)
        {
            if (key == null)
            {
                throw new IllegalArgumentException("previous keys contain null");
            }
            if (keys.putIfAbsent(key.id(), HmacTokens.secretKey(key)) != null)
            {
                throw new IllegalArgumentException("two keys share the id " + key.id());
            }
        }
        this.verifying = Map.copyOf(keys);
    }

    /**
     * Signs a right with the current key.
     *
     * @param method    the HTTP method it allows, such as {@code GET} or {@code PATCH}: uppercase letters.
     * @param resource  a blob id or an upload id, or its path ({@code /media/v1/blobs/<blob id>},
     *                  {@code /media/v1/uploads/<upload id>}).
     * @param expiresAt when it stops being valid; kept to the second (rounded down), which must be in the future.
     * @return the token.
     * @throws IllegalArgumentException if the method or resource is malformed or the expiry is not in the future.
     */
    public String sign(final String method, final String resource, final Instant expiresAt)
    {
        if (!isMethod(method))
        {
            throw new IllegalArgumentException("method must be 1 to " + MAX_METHOD_LENGTH + " uppercase letters: " +
                MediaIds.printable(method));
        }
        if (!isResource(resource))
        {
            throw new IllegalArgumentException("not a blob or upload id: " + MediaIds.printable(resource));
        }
        if (expiresAt == null)
        {
            throw new IllegalArgumentException("expiry is null");
        }
        final long expirySeconds = expiresAt.getEpochSecond();
        if (expirySeconds <= clock.instant().getEpochSecond() || Long.toString(expirySeconds).length() >
            HmacTokens.MAX_EXPIRY_DIGITS)
        {
            throw new IllegalArgumentException("expiry must be in the future (to the second): " + expiresAt);
        }
        final byte[] mac = mac(verifying.get(current.id()), method, resource, expirySeconds);
        return expirySeconds + "." + current.id() + "." + HmacTokens.encode(mac);
    }

    /**
     * Checks a token for a method and resource.
     *
     * @param method   the request's method.
     * @param resource the blob or upload id the request names, or its path, in the form the token was signed for.
     * @param token    the token it carries.
     * @return {@link Verdict#VALID} only if a known key signed exactly this method, resource and expiry and the
     *         expiry has not passed.
     */
    public Verdict verify(final String method, final String resource, final String token)
    {
        if (!isMethod(method) || !isResource(resource) || token == null || token.length() > MAX_TOKEN_LENGTH)
        {
            return Verdict.MALFORMED;
        }
        final String[] fields = HmacTokens.fields(token);
        if (fields == null)
        {
            return Verdict.MALFORMED;
        }
        final String expiry = fields[0];
        final String keyId = fields[1];
        if (!HmacTokens.isExpiry(expiry) || !isKeyId(keyId))
        {
            return Verdict.MALFORMED;
        }
        final byte[] presented = HmacTokens.decodeMac(fields[2]);
        if (presented == null)
        {
            return Verdict.MALFORMED;
        }
        final SecretKeySpec key = verifying.get(keyId);
        if (key == null)
        {
            return Verdict.BAD_SIGNATURE;
        }
        final long expirySeconds = Long.parseLong(expiry);
        if (!MessageDigest.isEqual(mac(key, method, resource, expirySeconds), presented))
        {
            return Verdict.BAD_SIGNATURE;
        }
        return clock.instant().getEpochSecond() < expirySeconds ? Verdict.VALID : Verdict.EXPIRED;
    }

    private static byte[] mac(final SecretKeySpec key, final String method, final String resource, final long expiry)
    {
        return HmacTokens.mac(key, VERSION + "\n" + method + "\n" + resource + "\n" + expiry);
    }

    private static boolean isMethod(final String method)
    {
        if (method == null || method.isEmpty() || method.length() > MAX_METHOD_LENGTH)
        {
            return false;
        }
        for (int i = 0; i < method.length(); i++)
        {
            if (method.charAt(i) < 'A' || method.charAt(i) > 'Z')
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isResource(final String resource)
    {
        if (resource == null)
        {
            return false;
        }
        if (resource.startsWith(UPLOADS_PATH))
        {
            return MediaIds.isUploadId(resource.substring(UPLOADS_PATH.length()));
        }
        if (resource.startsWith(BLOBS_PATH))
        {
            return MediaIds.isBlobId(resource.substring(BLOBS_PATH.length()));
        }
        return MediaIds.isBlobId(resource) || MediaIds.isUploadId(resource);
    }

    private static boolean isKeyId(final String id)
    {
        if (id == null || id.isEmpty() || id.length() > MAX_KEY_ID_LENGTH)
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
}
