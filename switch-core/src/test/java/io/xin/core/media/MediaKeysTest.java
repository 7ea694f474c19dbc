package io.xin.core.media;

import io.xin.media.MutableClock;
import io.xin.media.SignedUrls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The media key file: its format, its first creation, rotation, and the two keys derived from each key. */
class MediaKeysTest
{
    private static final String BLOB = "c".repeat(64);
    private static final String SECRET_1 = Base64.getEncoder().encodeToString(new byte[32]);
    private static final String SECRET_2 = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));

    @Test
    void shouldCreateAKeyFileReadableByItsOwnerOnlyAndReadTheSameKeysAgain() throws Exception
    {
        final Path file = dir.resolve("signing.key");
        final MediaKeys made = MediaKeys.readOrCreate(file);
        final MediaKeys again = MediaKeys.readOrCreate(file);

        assertEquals(made.ids(), again.ids());
        assertEquals(1, made.ids().size());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        final String token = made.accessTokens(null, clock).issue(BLOB);
        assertEquals(AccessTokens.Verdict.VALID, again.accessTokens(null, clock).verify(BLOB, token));
        final String url = made.signedUrls(clock).sign("GET", BLOB, clock.instant().plusSeconds(60));
        assertEquals(SignedUrls.Verdict.VALID, again.signedUrls(clock).verify("GET", BLOB, url));
    }

    @Test
    void shouldSignWithTheFirstKeyAndVerifyWithTheOthers() throws Exception
    {
        final Path old = Files.writeString(dir.resolve("old.key"), "# before the rotation\nk1 " + SECRET_1 + "\n");
        final Path rotated = Files.writeString(dir.resolve("new.key"),
            "\n# after the rotation\nk2 " + SECRET_2 + "\n  k1   " + SECRET_1 + "  \n");
        final String before = MediaKeys.read(old).accessTokens(Duration.ofDays(1), clock).issue(BLOB);
        final MediaKeys keys = MediaKeys.read(rotated);

        assertEquals(List.of("k2", "k1"), keys.ids());
        final AccessTokens tokens = keys.accessTokens(Duration.ofDays(1), clock);
        assertTrue(tokens.issue(BLOB).startsWith("k2."));
        assertEquals(AccessTokens.Verdict.VALID, tokens.verify(BLOB, before));
    }

    @Test
    void shouldDeriveDifferentKeysForUrlsAndAccessTokens() throws Exception
    {
        final MediaKeys keys = MediaKeys.read(Files.writeString(dir.resolve("k"), "k1 " + SECRET_1 + "\n"));
        final String urlToken = keys.signedUrls(clock).sign("GET", BLOB, clock.instant().plusSeconds(60));
        final String accessToken = keys.accessTokens(null, clock).issue(BLOB);

        // Neither is the plain secret's MAC, and the MAC of one is no part of the other.
        assertTrue(!urlToken.endsWith(accessToken.substring(accessToken.lastIndexOf('.'))), urlToken);
        final SignedUrls raw = new SignedUrls(new SignedUrls.Key("k1", new byte[32]), List.of(), clock);
        assertEquals(SignedUrls.Verdict.BAD_SIGNATURE, raw.verify("GET", BLOB, urlToken));
    }

    @Test
    void shouldRefuseAFileWithoutKeysOrWithABadLine() throws Exception
    {
        assertThrows(IllegalArgumentException.class,
            () -> MediaKeys.read(Files.writeString(dir.resolve("empty"), "# nothing\n\n")));
        assertThrows(IllegalArgumentException.class,
            () -> MediaKeys.read(Files.writeString(dir.resolve("one"), "k1\n")));
        assertThrows(IllegalArgumentException.class,
            () -> MediaKeys.read(Files.writeString(dir.resolve("short"), "k1 " +
                Base64.getEncoder().encodeToString(new byte[16]) + "\n")));
        assertThrows(IllegalArgumentException.class,
            () -> MediaKeys.read(Files.writeString(dir.resolve("b64"), "k1 not*base64\n")));
        assertThrows(IllegalArgumentException.class,
            () -> MediaKeys.read(Files.writeString(dir.resolve("id"), "k.1 " + SECRET_1 + "\n")));
        assertThrows(IllegalArgumentException.class,
            () -> MediaKeys.read(Files.writeString(dir.resolve("twice"), "k1 " + SECRET_1 + "\nk1 " + SECRET_2)));
    }
}
