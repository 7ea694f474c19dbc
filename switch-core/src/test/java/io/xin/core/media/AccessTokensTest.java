package io.xin.core.media;

import io.xin.media.MutableClock;
import io.xin.media.SignedUrls;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The capability of a stored message to read its blob, on a clock the test moves. */
class AccessTokensTest
{
    private static final String BLOB = "a".repeat(64);
    private static final String OTHER_BLOB = "b".repeat(64);
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration LIFETIME = Duration.ofDays(8);

    private final MutableClock clock = new MutableClock(T0);

    private static SignedUrls.Key key(final String id, final int fill)
    {
        final byte[] secret = new byte[32];
        Arrays.fill(secret, (byte)fill);
        return new SignedUrls.Key(id, secret);
    }

    @Test
    void shouldVerifyATokenForItsBlobUntilItsLifetimeHasPassed()
    {
        final AccessTokens tokens = new AccessTokens(key("k1", 1), List.of(), LIFETIME, clock);
        final String token = tokens.issue(BLOB);

        assertTrue(token.startsWith("k1." + (T0.getEpochSecond() + LIFETIME.getSeconds()) + "."), token);
        assertEquals(AccessTokens.Verdict.VALID, tokens.verify(BLOB, token));
        clock.advance(LIFETIME.minusSeconds(1));
        assertEquals(AccessTokens.Verdict.VALID, tokens.verify(BLOB, token));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(AccessTokens.Verdict.EXPIRED, tokens.verify(BLOB, token));
    }

    @Test
    void shouldNeverExpireATokenWithoutALifetime()
    {
        final AccessTokens tokens = new AccessTokens(key("k1", 1), List.of(), null, clock);
        final String token = tokens.issue(BLOB);

        assertTrue(token.startsWith("k1.0."), token);
        clock.advance(Duration.ofDays(365 * 100));
        assertEquals(AccessTokens.Verdict.VALID, tokens.verify(BLOB, token));
    }

    @Test
    void shouldRefuseATokenForAnotherBlobOrTamperedWith()
    {
        final AccessTokens tokens = new AccessTokens(key("k1", 1), List.of(), LIFETIME, clock);
        final String token = tokens.issue(BLOB);
        final String[] parts = token.split("\\.");

        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, tokens.verify(OTHER_BLOB, token));
        // A later expiry under the same MAC.
        final String extended = parts[0] + "." + (Long.parseLong(parts[1]) + 1) + "." + parts[2];
        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, tokens.verify(BLOB, extended));
        // One bit of the MAC flipped.
        final byte[] mac = Base64.getUrlDecoder().decode(parts[2]);
        mac[0] ^= 1;
        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, tokens.verify(BLOB,
            parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac)));
    }

    @Test
    void shouldRefuseATokenMadeWithAnotherKeyOrAnUnknownKeyId()
    {
        final AccessTokens ours = new AccessTokens(key("k1", 1), List.of(), LIFETIME, clock);
        final AccessTokens forger = new AccessTokens(key("k1", 2), List.of(), LIFETIME, clock);
        final AccessTokens stranger = new AccessTokens(key("k9", 1), List.of(), LIFETIME, clock);

        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, ours.verify(BLOB, forger.issue(BLOB)));
        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, ours.verify(BLOB, stranger.issue(BLOB)));
    }

    @Test
    void shouldKeepVerifyingTokensOfAPreviousKeyAfterARotationUntilTheKeyIsDropped()
    {
        final AccessTokens before = new AccessTokens(key("k1", 1), List.of(), LIFETIME, clock);
        final String old = before.issue(BLOB);
        final AccessTokens rotated = new AccessTokens(key("k2", 2), List.of(key("k1", 1)), LIFETIME, clock);
        final AccessTokens dropped = new AccessTokens(key("k2", 2), List.of(), LIFETIME, clock);

        final String fresh = rotated.issue(BLOB);
        assertTrue(fresh.startsWith("k2."), fresh);
        assertNotEquals(old, fresh);
        assertEquals(AccessTokens.Verdict.VALID, rotated.verify(BLOB, old));
        assertEquals(AccessTokens.Verdict.VALID, rotated.verify(BLOB, fresh));
        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, dropped.verify(BLOB, old));
        assertEquals(AccessTokens.Verdict.BAD_SIGNATURE, before.verify(BLOB, fresh));
    }

    @Test
    void shouldRefuseMalformedTokensWithoutTryingAKey()
    {
        final AccessTokens tokens = new AccessTokens(key("k1", 1), List.of(), LIFETIME, clock);
        final String good = tokens.issue(BLOB);

        for (final String bad : new String[]{ null, "", "k1", "k1.1", "k1.1.2.3", "k1.x." + good.split("\\.")[2],
            "k1." + "9".repeat(19) + "." + good.split("\\.")[2], good + "AA", "k1.1.!!!", "x".repeat(200) })
        {
            assertEquals(AccessTokens.Verdict.MALFORMED, tokens.verify(BLOB, bad), String.valueOf(bad));
        }
        assertEquals(AccessTokens.Verdict.MALFORMED, tokens.verify("A".repeat(64), good), "uppercase blob id");
        assertEquals(AccessTokens.Verdict.MALFORMED, tokens.verify("../" + BLOB, good));
        assertThrows(IllegalArgumentException.class, () -> tokens.issue("not-a-blob"));
    }

    @Test
    void shouldRefuseKeysThatShareAnIdAndLifetimesUnderASecond()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new AccessTokens(key("k1", 1), List.of(key("k1", 2)), LIFETIME, clock));
        assertThrows(IllegalArgumentException.class,
            () -> new AccessTokens(key("k1", 1), List.of(), Duration.ofMillis(500), clock));
    }
}
