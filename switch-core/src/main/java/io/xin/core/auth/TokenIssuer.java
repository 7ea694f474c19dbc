package io.xin.core.auth;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.crypto.SecretKey;

/**
 * Issues HS256 tokens for development, demos, tests and load generation. Production tokens come
 * from the application's own login service, which shares the secret (or holds the private key).
 */
public final class TokenIssuer
{
    private final SecretKey key;

    /**
     * @param secret at least 32 bytes of UTF-8.
     */
    public TokenIssuer(final String secret)
    {
        final byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32)
        {
            throw new IllegalArgumentException("secret must be at least 32 bytes (HS256 needs 256 bits)");
        }
        this.key = Keys.hmacShaKeyFor(bytes);
    }

    /**
     * @param userId the {@code sub} claim.
     * @param ttl    time until {@code exp}.
     */
    public String issue(final long userId, final Duration ttl)
    {
        return issue(userId, Instant.now(), ttl);
    }

    public String issue(final long userId, final Instant issuedAt, final Duration ttl)
    {
        if (userId <= 0)
        {
            throw new IllegalArgumentException("userId must be positive: " + userId);
        }
        return Jwts.builder()
            .subject(Long.toString(userId))
            .issuedAt(Date.from(issuedAt))
            .expiration(Date.from(issuedAt.plus(ttl)))
            .signWith(key, Jwts.SIG.HS256)
            .compact();
    }
}
