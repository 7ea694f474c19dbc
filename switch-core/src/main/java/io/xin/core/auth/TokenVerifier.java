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
 * whose {@code sub} is the decimal user id and whose {@code exp} is required and enforced with a
 * small clock skew. Immutable and thread-safe: one instance serves every event loop.
 */
public final class TokenVerifier
{
    private static final int MAX_TOKEN_LENGTH = 4096;

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

    static long parseUserId(final String subject) throws AuthException
    {
        if (subject == null || subject.isEmpty() || subject.length() > 20)
        {
            throw new AuthException(ErrorCode.AUTH_FAILED, "token sub must be a positive decimal user id");
        }
        try
        {
            final long userId = Long.parseLong(subject);
            if (userId <= 0)
            {
                throw new AuthException(ErrorCode.AUTH_FAILED, "token sub must be a positive decimal user id");
            }
            return userId;
        }
        catch (final NumberFormatException ex)
        {
            throw new AuthException(ErrorCode.AUTH_FAILED, "token sub must be a positive decimal user id");
        }
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
