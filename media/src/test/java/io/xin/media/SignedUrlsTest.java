package io.xin.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class SignedUrlsTest
{
    private static final String BLOB = "ab".repeat(32);
    private static final String OTHER_BLOB = "cd".repeat(32);
    private static final String UPLOAD = "AbCdEfGhIjKlMnOpQrSt_-";

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final SignedUrls.Key k1 = key("k1", 1);
    private final SignedUrls.Key k2 = key("k2", 2);

    @Test
    void validUntilItsExpiryThenExpired()
    {
        final SignedUrls urls = new SignedUrls(k1, List.of(), clock);
        final String token = urls.sign("GET", BLOB, clock.instant().plus(Duration.ofMinutes(5)));

        assertEquals(SignedUrls.Verdict.VALID, urls.verify("GET", BLOB, token));
        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        assertEquals(SignedUrls.Verdict.VALID, urls.verify("GET", BLOB, token));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(SignedUrls.Verdict.EXPIRED, urls.verify("GET", BLOB, token));
    }

    @Test
    void pathsOfUploadsAndBlobsAreResourcesOfTheirOwn()
    {
        final SignedUrls urls = new SignedUrls(k1, List.of(), clock);
        final Instant expiry = clock.instant().plusSeconds(60);
        final String upload = urls.sign("PATCH", "/media/v1/uploads/" + UPLOAD, expiry);
        final String blob = urls.sign("GET", "/media/v1/blobs/" + BLOB, expiry);

        assertEquals(SignedUrls.Verdict.VALID, urls.verify("PATCH", "/media/v1/uploads/" + UPLOAD, upload));
        assertEquals(SignedUrls.Verdict.VALID, urls.verify("GET", "/media/v1/blobs/" + BLOB, blob));
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("PATCH", UPLOAD, upload), "the bare id");
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("GET", "/media/v1/blobs/" + OTHER_BLOB, blob));
        assertEquals(SignedUrls.Verdict.MALFORMED, urls.verify("GET", "/media/v1/blobs/" + UPLOAD, blob));
        assertEquals(SignedUrls.Verdict.MALFORMED, urls.verify("GET", "/media/v1/blobs/../" + BLOB, blob));
        assertThrows(IllegalArgumentException.class, () -> urls.sign("GET", "/media/v1/uploads/" + BLOB, expiry));
        assertThrows(IllegalArgumentException.class, () -> urls.sign("GET", "/media/v2/blobs/" + BLOB, expiry));
    }

    @Test
    void tamperedTokensAreRefused()
    {
        final SignedUrls urls = new SignedUrls(k1, List.of(), clock);
        final String token = urls.sign("PATCH", UPLOAD, clock.instant().plusSeconds(60));
        final String[] parts = token.split("\\.");

        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("GET", UPLOAD, token), "other method");
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("PATCH", BLOB, token), "other resource");
        final String later = (Long.parseLong(parts[0]) + 3600) + "." + parts[1] + "." + parts[2];
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("PATCH", UPLOAD, later), "later expiry");
        final char[] mac = parts[2].toCharArray();
        mac[0] = mac[0] == 'A' ? 'B' : 'A';
        final String flipped = parts[0] + "." + parts[1] + "." + new String(mac);
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("PATCH", UPLOAD, flipped), "changed MAC");
        final String otherKeyId = parts[0] + ".k9." + parts[2];
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("PATCH", UPLOAD, otherKeyId), "unknown key");

        clock.advance(Duration.ofHours(2));
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, urls.verify("PATCH", UPLOAD, later),
            "the MAC is checked before the expiry");
    }

    @Test
    void aTokenFromAnotherKeyIsRefused()
    {
        final SignedUrls ours = new SignedUrls(k1, List.of(), clock);
        // Same key id, different secret: someone who knows the id but not the secret.
        final SignedUrls forger = new SignedUrls(new SignedUrls.Key("k1", secret(99)), List.of(), clock);
        final String token = forger.sign("GET", BLOB, clock.instant().plusSeconds(60));

        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, ours.verify("GET", BLOB, token));
        assertEquals(SignedUrls.Verdict.VALID, forger.verify("GET", BLOB, token));
    }

    @Test
    void rotationKeepsOldTokensValidUntilThePreviousKeyIsDropped()
    {
        final SignedUrls before = new SignedUrls(k1, List.of(), clock);
        final String old = before.sign("GET", BLOB, clock.instant().plusSeconds(600));

        final SignedUrls rotated = new SignedUrls(k2, List.of(k1), clock);
        final String fresh = rotated.sign("GET", BLOB, clock.instant().plusSeconds(600));
        assertTrue(fresh.contains(".k2."), fresh);
        assertEquals(SignedUrls.Verdict.VALID, rotated.verify("GET", BLOB, old));
        assertEquals(SignedUrls.Verdict.VALID, rotated.verify("GET", BLOB, fresh));
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, before.verify("GET", BLOB, fresh));

        final SignedUrls dropped = new SignedUrls(k2, List.of(), clock);
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, dropped.verify("GET", BLOB, old));
        assertEquals(SignedUrls.Verdict.VALID, dropped.verify("GET", BLOB, fresh));
    }

    @Test
    void malformedTokensAndArgumentsAreRefused()
    {
        final SignedUrls urls = new SignedUrls(k1, List.of(), clock);
        final String token = urls.sign("GET", BLOB, clock.instant().plusSeconds(60));
        for (final String bad : Arrays.asList(
            null, "", "x", "1.k1", "1.k1.abc", "-1.k1." + token.split("\\.")[2], token + ".x", token + "==",
            "a".repeat(1_000), token.replace("k1", "k/1"), "١٢٣.k1." + token.split("\\.")[2]))
        {
            assertEquals(SignedUrls.Verdict.MALFORMED, urls.verify("GET", BLOB, bad), String.valueOf(bad));
        }
        assertEquals(SignedUrls.Verdict.MALFORMED, urls.verify("get", BLOB, token));
        assertEquals(SignedUrls.Verdict.MALFORMED, urls.verify("GET", "../" + BLOB, token));
        assertEquals(SignedUrls.Verdict.MALFORMED, urls.verify("GET", null, token));
        assertNotEquals(SignedUrls.Verdict.VALID, urls.verify("GET", OTHER_BLOB, token));

        final Instant later = clock.instant().plusSeconds(60);
        assertThrows(IllegalArgumentException.class, () -> urls.sign("GET\n", BLOB, later));
        assertThrows(IllegalArgumentException.class, () -> urls.sign("GET", BLOB + "\nGET", later));
        assertThrows(IllegalArgumentException.class, () -> urls.sign("GET", BLOB, clock.instant()));
        assertThrows(IllegalArgumentException.class, () -> urls.sign("GET", BLOB, null));
    }

    @Test
    void keysAreValidated()
    {
        assertThrows(IllegalArgumentException.class, () -> new SignedUrls.Key("k1", new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> new SignedUrls.Key("k1", null));
        assertThrows(IllegalArgumentException.class, () -> new SignedUrls.Key("", secret(1)));
        assertThrows(IllegalArgumentException.class, () -> new SignedUrls.Key("k.1", secret(1)));
        assertThrows(IllegalArgumentException.class, () -> new SignedUrls(k1, List.of(key("k1", 3)), clock));
        assertThrows(IllegalArgumentException.class, () -> new SignedUrls(null, List.of(), clock));
        assertFalse(k1.toString().contains(Arrays.toString(secret(1))));
        final byte[] secret = secret(5);
        final SignedUrls.Key key = new SignedUrls.Key("k5", secret);
        secret[0]++;
        assertNotEquals(secret[0], key.secret()[0], "the key keeps its own copy");
    }

    private static SignedUrls.Key key(final String id, final int seed)
    {
        return new SignedUrls.Key(id, secret(seed));
    }

    private static byte[] secret(final int seed)
    {
        final byte[] secret = new byte[32];
        Arrays.fill(secret, (byte)seed);
        secret[31] = (byte)(seed * 7);
        return secret;
    }
}
