package io.xin.server.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Reads a PEM "PUBLIC KEY" (X.509 SubjectPublicKeyInfo) holding an EC or Ed25519 key.
 */
final class PublicKeys
{
    private PublicKeys()
    {
    }

    static PublicKey readPem(final Path file) throws IOException
    {
        final String pem = Files.readString(file, StandardCharsets.US_ASCII);
        final String base64 = pem
            .replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "")
            .replaceAll("\\s", "");
        final byte[] der = Base64.getDecoder().decode(base64);
        for (final String algorithm : new String[]{ "EC", "Ed25519" })
        {
            try
            {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            }
            catch (final GeneralSecurityException ignore)
            {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(file + " holds no EC or Ed25519 public key");
    }
}
