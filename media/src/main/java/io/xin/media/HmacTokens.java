package io.xin.media;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pieces of an HMAC-SHA256 token of three dot-separated fields that {@link SignedUrls} and the switch's access
 * tokens have in common: the MAC itself, its unpadded base64url text, the split into fields and the checks of the
 * expiry and MAC fields. Each token kind keeps its own field order and what its MAC covers.
 * <p>
 * Stateless; any thread: each call makes its own {@link Mac}.
 */
public final class HmacTokens
{
    /** Length of an HMAC-SHA256. */
    public static final int MAC_BYTES = 32;
    /** Most digits of an expiry in epoch seconds: more would overflow a long. */
    public static final int MAX_EXPIRY_DIGITS = 18;

    private static final String ALGORITHM = "HmacSHA256";

    private HmacTokens()
    {
    }

    /**
     * @param key a signing key.
     * @return its secret as an HMAC-SHA256 key.
     */
    public static SecretKeySpec secretKey(final SignedUrls.Key key)
    {
        return new SecretKeySpec(key.secret(), ALGORITHM);
    }

    /**
     * @param key   the key.
     * @param input what the MAC covers, ASCII.
     * @return its HMAC-SHA256, {@link #MAC_BYTES} long.
     */
    public static byte[] mac(final SecretKeySpec key, final String input)
    {
        final Mac mac;
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
        }
        catch (final NoSuchAlgorithmException | InvalidKeyException e)
        {
            throw new IllegalStateException("every Java platform has " + ALGORITHM, e);
        }
        return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * @param mac a MAC.
     * @return it as a token's last field: unpadded base64url.
     */
    public static String encode(final byte[] mac)
    {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
    }

    /**
     * @param token a token, not null.
     * @return its three dot-separated fields, or null if it does not have exactly three.
     */
    public static String[] fields(final String token)
    {
        final int firstDot = token.indexOf('.');
        final int secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
        if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0)
        {
            return null;
        }
        return new String[] {
            token.substring(0, firstDot), token.substring(firstDot + 1, secondDot), token.substring(secondDot + 1)};
    }

    /**
     * @param text a token's expiry field.
     * @return true if it is 1 to {@link #MAX_EXPIRY_DIGITS} ASCII digits.
     */
    public static boolean isExpiry(final String text)
    {
        if (text.isEmpty() || text.length() > MAX_EXPIRY_DIGITS)
        {
            return false;
        }
        for (int i = 0; i < text.length(); i++)
        {
            if (text.charAt(i) < '0' || text.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param text a token's MAC field.
     * @return the MAC it carries, or null if it is not base64url of {@link #MAC_BYTES} bytes.
     */
    public static byte[] decodeMac(final String text)
    {
        final byte[] mac;
        try
        {
            mac = Base64.getUrlDecoder().decode(text);
        }
        catch (final IllegalArgumentException e)
        {
            return null;
        }
        return mac.length == MAC_BYTES ? mac : null;
    }
}
