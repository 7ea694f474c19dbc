package io.xin.core.media;

import io.xin.media.HmacTokens;
import io.xin.media.MediaIds;
import io.xin.media.SignedUrls;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The capability a stored message carries to read its blob: {@code MediaRef.access_token}. Whoever holds the token of
 * a blob may ask for a download URL of it ({@code MediaUrl}); the switch stamps one on every message that references
 * a blob, so every recipient of the message, and nobody else, can fetch it.
 * <p>
 * A token is {@code <key id>.<expiry, epoch seconds; 0 = none>.<HMAC-SHA256, unpadded base64url>}. The MAC covers
 * {@code read:<blob id>:<expiry>}: the right to read that blob until then, nothing else. The expiry is the
 * message's retention plus a grace (the blob outlives its last message by as much, see {@code MediaCollector}), so a
 * token never outlives what it opens by much; with no retention tokens do not expire.
 * <p>
 * Key rotation as for {@link SignedUrls}: tokens are made with the current key; previous keys still verify, so the
 * tokens in stored messages keep working; a previous key may go once the last token made with it has expired.
 * Verification recomputes the MAC with the key the token names and compares in constant time before it looks at the
 * expiry.
 * <p>
 * Thread safe: keys are immutable and each call makes its own {@link Mac}.
 */
public final class AccessTokens
{
    /** Longest token {@link #verify} looks at; anything longer is refused without parsing. */
    public static final int MAX_TOKEN_LENGTH = 128;

    /** What {@link #verify} found. */
    public enum Verdict
    {
        /** Made by a known key for exactly this blob and not expired. */
        VALID,
        /** Authentic, but its expiry has passed. */
        EXPIRED,
        /** The MAC does not match: forged, for another blob, or from an unknown key. */
        BAD_SIGNATURE,
        /** Not a token: wrong shape, too long, bad characters, or the blob id is malformed. */
        MALFORMED
    }

    private final String currentId;
    /** The current key and the previous ones, by id. */
    private final Map<String, SecretKeySpec> keys;
    private final Clock clock;
    /** How long a token is valid from when it is made; null: for ever. */
    private final Duration lifetime;

    /**
     * @param current  the key new tokens are made with.
     * @param previous keys whose tokens are still accepted; may be empty.
     * @param lifetime how long a token is valid after it is made, at least a second; null for tokens that do not
     *                 expire.
     * @param clock    the time tokens are made and checked at.
     * @throws IllegalArgumentException if a key or the clock is missing, two keys share an id, or the lifetime is
     *                                  under a second.
     */
    public AccessTokens(
        final SignedUrls.Key current,
        final List<SignedUrls.Key> previous,
        final Duration lifetime,
        final Clock clock)
    {
        if (current == null || previous == null || clock == null)
        {
            throw new IllegalArgumentException("current key, previous keys and clock are required");
        }
        if (lifetime != null && lifetime.getSeconds() < 1)
        {
            throw new IllegalArgumentException("lifetime must be at least a second: " + lifetime);
        }
        final Map<String, SecretKeySpec> byId = new HashMap<>();
        byId.put(current.id(), HmacTokens.secretKey(current));
        for (final SignedUrls.Key key : previous)
        {
            if (key == null || byId.putIfAbsent(key.id(), HmacTokens.secretKey(key)) != null)
            {
                throw new IllegalArgumentException("previous keys must be distinct and not null: " + key);
            }
        }
        this.currentId = current.id();
        this.keys = Map.copyOf(byId);
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /**
     * @param blobId a blob id, checked ({@link MediaIds#isBlobId}).
     * @return a token for reading that blob, made with the current key now.
     * @throws IllegalArgumentException if the blob id is malformed.
     */
    public String issue(final String blobId)
    {
        if (!MediaIds.isBlobId(blobId))
        {
            throw new IllegalArgumentException("not a blob id: " + blobId);
        }
        final long expiry = lifetime == null ? 0 : clock.instant().getEpochSecond() + lifetime.getSeconds();
        return currentId + "." + expiry + "." + HmacTokens.encode(mac(keys.get(currentId), blobId, expiry));
    }

    /**
     * @param blobId the blob a request names.
     * @param token  the token it presents.
     * @return {@link Verdict#VALID} only if a known key made exactly this token for this blob and it has not expired.
     */
    public Verdict verify(final String blobId, final String token)
    {
        if (!MediaIds.isBlobId(blobId) || token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH)
        {
            return Verdict.MALFORMED;
        }
        final String[] fields = HmacTokens.fields(token);
        if (fields == null || !HmacTokens.isExpiry(fields[1]))
        {
            return Verdict.MALFORMED;
        }
        final String keyId = fields[0];
        final String expiryText = fields[1];
        final byte[] presented = HmacTokens.decodeMac(fields[2]);
        if (presented == null)
        {
            return Verdict.MALFORMED;
        }
        final SecretKeySpec key = keys.get(keyId);
        if (key == null)
        {
            return Verdict.BAD_SIGNATURE;
        }
        final long expiry = Long.parseLong(expiryText);
        if (!MessageDigest.isEqual(mac(key, blobId, expiry), presented))
        {
            return Verdict.BAD_SIGNATURE;
        }
        return expiry == 0 || clock.instant().getEpochSecond() < expiry ? Verdict.VALID : Verdict.EXPIRED;
    }

    private static byte[] mac(final SecretKeySpec key, final String blobId, final long expiry)
    {
        return HmacTokens.mac(key, "read:" + blobId + ":" + expiry);
    }
}
