package io.xin.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs HS256 login tokens with one reused {@link Mac}: the switch's {@code TokenIssuer} looks the
 * algorithm up for every token, which dominates opening a million sessions. The tokens are ordinary
 * JWTs ({@code sub}, {@code iat}, {@code exp}); the switch verifies them as it verifies any other.
 * Not thread-safe.
 */
final class Hs256Tokens
{
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = BASE64URL.encodeToString(
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final Mac mac;

    Hs256Tokens(final String secret)
    {
        try
        {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    /**
     * @param userId the {@code sub} claim.
     * @param ttlSeconds time from now to {@code exp}.
     */
    String issue(final long userId, final long ttlSeconds)
    {
        final long nowS = System.currentTimeMillis() / 1000;
        final String payload = BASE64URL.encodeToString(("{\"sub\":\"" + userId + "\",\"iat\":" + nowS +
            ",\"exp\":" + (nowS + ttlSeconds) + "}").getBytes(StandardCharsets.UTF_8));
        final String signingInput = HEADER + "." + payload;
        return signingInput + "." +
            BASE64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    }
}
