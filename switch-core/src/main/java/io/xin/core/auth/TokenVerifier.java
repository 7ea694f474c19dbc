package io.xin.core.auth;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.LocatorAdapter;
import io.jsonwebtoken.ProtectedHeader;
import io.jsonwebtoken.UnsupportedJwtException;
import io.jsonwebtoken.security.Keys;
import io.xin.protocol.pb.ErrorCode;

import java.security.Key;
import java.security.PublicKey;
import java.util.Date;
import java.util.function.LongSupplier;
import javax.crypto.SecretKey;

/**
 * Verifies login tokens: JWTs signed with HS256 (shared secret) or ES256 / EdDSA (public key),
 * whose {@code sub} is the user id in canonical decimal (see {@link #parseUserId(String)}) and whose
 * {@code exp} is required and enforced with a small clock skew. Immutable and thread-safe: one instance serves every event loop.
 */
public final class TokenVerifier
{
    private static final int MAX_TOKEN_LENGTH = 4096;
    /** Digits of 2^63-1. */
    private static final int MAX_USER_ID_DIGITS = 19;

    private final JwtParser parser;

    /**
     * @param secret           HS256 secret bytes (at least 32), or null.
     * @param publicKey        EC P-256 or Ed25519 public key, or null.
     * @param clockSkewSeconds tolerance on {@code exp} and {@code nbf}.
     * @param clockMs          epoch milliseconds.
     */
    public TokenVerifier(
        final byte[] secret, final PublicKey publicKey, final long clockSkewSeconds, final LongSupplier clockMs)
    {
        if (secret == null && publicKey == null)
        {
            throw new IllegalArgumentException("a secret or a public key is required");
        }
        final SecretKey secretKey = secret == null ? null : Keys.hmacShaKeyFor(secret);
        parser = Jwts.parser()
            .keyLocator(new KeyByAlgorithm(secretKey, publicKey))
            .clockSkewSeconds(clockSkewSeconds)
            .clock(() -> new Date(clockMs.getAsLong()))
            .build();
    }

    /**
     * @return the user id the token was issued for.
     * @throws AuthException with {@link ErrorCode#TOKEN_EXPIRED} or {@link ErrorCode#AUTH_FAILED}.
     */
    public long verify(final String token) throws AuthException
    {
        if (token == null || token.isEmpty())
        {
            throw new AuthException(ErrorCode.AUTH_FAILED, "token missing");
        }
        if (token.length() > MAX_TOKEN_LENGTH)
        {
            throw new AuthException(ErrorCode.AUTH_FAILED, "token longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        final Claims claims;
        try
        {
            claims = parser.parseSignedClaims(token).getPayload();
        }
        catch (final ExpiredJwtException ex)
        {
            throw new AuthException(ErrorCode.TOKEN_EXPIRED, "token expired");
        }
        catch (final JwtException | IllegalArgumentException ex)
        {
            throw new AuthException(ErrorCode.AUTH_FAILED, "token rejected: " + ex.getMessage());
        }
        if (claims.getExpiration() == null)
        {
            throw new AuthException(ErrorCode.AUTH_FAILED, "token has no exp claim");
        }
        return parseUserId(claims.getSubject());
    }

    /**
     * Reads the canonical decimal form of a user id: ASCII digits only, no sign, no leading zero, 1 .. 2^63-1.
     * Every user id has exactly one accepted spelling, so two subjects never name the same user ("008204",
     * "+8204" and "8204" are not all 8204: only the last is accepted).
     */
    static long parseUserId(final String subject) throws AuthException
    {
        final int length = subject == null ? 0 : subject.length();
        if (length == 0 || length > MAX_USER_ID_DIGITS || subject.charAt(0) == '0')
        {
            throw badSubject();
        }
        long userId = 0;
        for (int i = 0; i < length; i++)
        {
            final char c = subject.charAt(i);
            if (c < '0' || c > '9')
            {
                throw badSubject();
            }
            final int digit = c - '0';
            if (userId > (Long.MAX_VALUE - digit) / 10)
            {
                throw badSubject();
            }
            userId = userId * 10 + digit;
        }
        return userId;
    }

    private static AuthException badSubject()
    {
        return new AuthException(ErrorCode.AUTH_FAILED,
            "token sub must be a user id in canonical decimal: 1 .. 2^63-1, no sign, no leading zero");
    }

    /** Picks the key by the token's declared algorithm, so only the configured algorithms verify. */
    private static final class KeyByAlgorithm extends LocatorAdapter<Key>
    {
        private final SecretKey secretKey;
        private final PublicKey publicKey;

        KeyByAlgorithm(final SecretKey secretKey, final PublicKey publicKey)
        {
            this.secretKey = secretKey;
            this.publicKey = publicKey;
        }

        @Override
        protected Key locate(final ProtectedHeader header)
        {
            final String algorithm = header.getAlgorithm();
            if ("HS256".equals(algorithm) && secretKey != null)
            {
                return secretKey;
            }
            if (("ES256".equals(algorithm) || "EdDSA".equals(algorithm) || "Ed25519".equals(algorithm)) &&
                publicKey != null)
            {
                return publicKey;
            }
            throw new UnsupportedJwtException("algorithm " + algorithm + " is not accepted by this switch");
        }
    }
}
