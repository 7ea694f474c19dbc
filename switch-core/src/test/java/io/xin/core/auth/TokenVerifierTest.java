package io.xin.core.auth;

import io.jsonwebtoken.Jwts;
import io.xin.protocol.pb.ErrorCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TokenVerifierTest
{
    private static final String SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private final AtomicLong clockMs = new AtomicLong(NOW.toEpochMilli());
    private final TokenVerifier hs256 = new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, clockMs::get);

    @Test
    void shouldAcceptValidHs256TokenAndReturnSubject() throws AuthException
    {
        assertEquals(42, hs256.verify(new TokenIssuer(SECRET).issue(42, NOW, Duration.ofMinutes(5))));
    }

    @Test
    void shouldRejectExpiredTokenBeyondClockSkew()
    {
        final String token = new TokenIssuer(SECRET).issue(42, NOW.minus(Duration.ofMinutes(10)), Duration.ofMinutes(5));
        assertEquals(ErrorCode.TOKEN_EXPIRED, assertThrows(AuthException.class, () -> hs256.verify(token)).code());
    }

    @Test
    void shouldAcceptTokenExpiredWithinClockSkew() throws AuthException
    {
        final String token = new TokenIssuer(SECRET).issue(42, NOW.minus(Duration.ofSeconds(70)), Duration.ofMinutes(1));
        assertEquals(42, hs256.verify(token));
    }

    @Test
    void shouldRejectTokenSignedWithAnotherSecret()
    {
        final String token = new TokenIssuer("another-secret-that-is-at-least-32-bytes!!").issue(42, NOW, Duration.ofMinutes(5));
        assertEquals(ErrorCode.AUTH_FAILED, assertThrows(AuthException.class, () -> hs256.verify(token)).code());
    }

    @Test
    void shouldRejectTokenWithoutExp()
    {
        final String token = Jwts.builder().subject("42").issuedAt(Date.from(NOW))
            .signWith(io.jsonwebtoken.security.Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8)), Jwts.SIG.HS256)
            .compact();
        assertEquals(ErrorCode.AUTH_FAILED, assertThrows(AuthException.class, () -> hs256.verify(token)).code());
    }

    @Test
    void shouldRejectNonNumericOrNonPositiveSubject()
    {
        for (final String subject : new String[]{ "alice", "0", "-5", "99999999999999999999" })
        {
            final String token = Jwts.builder().subject(subject).expiration(Date.from(NOW.plusSeconds(60)))
                .signWith(io.jsonwebtoken.security.Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8)),
                    Jwts.SIG.HS256)
                .compact();
            assertEquals(ErrorCode.AUTH_FAILED, assertThrows(AuthException.class, () -> hs256.verify(token)).code(),
                subject);
        }
    }

    @Test
    void shouldRejectEverySubjectThatIsNotTheCanonicalDecimalUserId()
    {
        for (final String subject : new String[]{
            "008204", "08204", "+8205", "00", "-0", " 8204", "8204 ", "8 204", "82_04", "0x2004", "8204L",
            "٨٢٠٤", "８２０４", "9223372036854775808", "18446744073709551615",
            "00000000000000000001", "" })
        {
            final AuthException refused = assertThrows(AuthException.class, () -> hs256.verify(token(subject)));
            assertEquals(ErrorCode.AUTH_FAILED, refused.code(), subject);
        }
    }

    @Test
    void shouldAcceptCanonicalSubjectsAcrossTheUserIdRange() throws AuthException
    {
        assertEquals(1, hs256.verify(token("1")));
        assertEquals(8204, hs256.verify(token("8204")));
        assertEquals(1L << 40, hs256.verify(token(Long.toString(1L << 40))));
        assertEquals(Long.MAX_VALUE, hs256.verify(token("9223372036854775807")));
    }

    private static String token(final String subject)
    {
        return Jwts.builder().subject(subject).expiration(Date.from(NOW.plusSeconds(60)))
            .signWith(io.jsonwebtoken.security.Keys.hmacShaKeyFor(SECRET.getBytes(StandardCharsets.UTF_8)),
                Jwts.SIG.HS256)
            .compact();
    }

    @Test
    void shouldRejectUnsignedToken()
    {
        final String token = Jwts.builder().subject("42").expiration(Date.from(NOW.plusSeconds(60))).compact();
        assertEquals(ErrorCode.AUTH_FAILED, assertThrows(AuthException.class, () -> hs256.verify(token)).code());
    }

    @Test
    void shouldVerifyEs256WithPublicKey() throws Exception
    {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        final KeyPair keys = generator.generateKeyPair();
        final TokenVerifier es256 = new TokenVerifier(null, keys.getPublic(), 30, clockMs::get);
        final String token = Jwts.builder().subject("7").expiration(Date.from(NOW.plusSeconds(60)))
            .signWith(keys.getPrivate(), Jwts.SIG.ES256).compact();
        assertEquals(7, es256.verify(token));

        // An HS256 token is refused by a switch that only holds a public key.
        final String hsToken = new TokenIssuer(SECRET).issue(7, NOW, Duration.ofMinutes(5));
        assertEquals(ErrorCode.AUTH_FAILED, assertThrows(AuthException.class, () -> es256.verify(hsToken)).code());
    }

    @Test
    void shouldVerifyEdDsaWithPublicKey() throws Exception
    {
        final KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        final TokenVerifier eddsa = new TokenVerifier(null, keys.getPublic(), 30, clockMs::get);
        final String token = Jwts.builder().subject("8").expiration(Date.from(NOW.plusSeconds(60)))
            .signWith(keys.getPrivate(), Jwts.SIG.EdDSA).compact();
        assertEquals(8, eddsa.verify(token));
    }
}
