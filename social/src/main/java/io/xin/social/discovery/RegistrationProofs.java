package io.xin.social.discovery;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proofs that a registration's tag is its user's own number. The service that verified the number (the app's
 * sign-up backend, which sent the SMS code and so knows the number) computes the number's tag with the PRF key and
 * signs it for the user; the switch checks the proof and never sees the number. Without proofs a registration is the
 * client's word, and anyone could register someone else's number and be found as them.
 * <pre>
 *   proof = expires_at_ms (8, big-endian)
 *        || HMAC-SHA256(secret, "xin discovery registration v1" || user_id (8) || key_id (4) || tag (16)
 *                               || expires_at_ms (8))
 * </pre>
 * The secret is shared by the verifying service and the switches: a file of 64 hex digits (32 random bytes), e.g.
 * {@code openssl rand -hex 32}; lines starting with {@code #} are skipped. A proof is for one user, one key and one
 * tag, until it expires: after a key rotation the service issues a new one.
 * <p>
 * Immutable and thread-safe.
 */
public final class RegistrationProofs
{
    public static final int PROOF_LENGTH = 8 + 32;
    public static final int SECRET_LENGTH = 32;
    private static final byte[] LABEL = "xin discovery registration v1".getBytes(StandardCharsets.US_ASCII);
    private static final String MAC = "HmacSHA256";

    private final SecretKeySpec secret;

    /** What the verifying service hands the user's client: the tag, the key it is under, and its proof. */
    public record Registration(int keyId, byte[] tag, byte[] proof)
    {
    }

    /**
     * @param secret the shared secret, 32 bytes.
     */
    public RegistrationProofs(final byte[] secret)
    {
        if (secret == null || secret.length != SECRET_LENGTH)
        {
            throw new IllegalArgumentException("the secret is " + SECRET_LENGTH + " bytes");
        }
        this.secret = new SecretKeySpec(secret.clone(), MAC);
    }

    /**
     * Reads a secret file.
     *
     * @throws IllegalArgumentException naming what is wrong in it (never the secret).
     */
    public static RegistrationProofs load(final Path file) throws IOException
    {
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            final String text = line.strip();
            if (text.isEmpty() || text.startsWith("#"))
            {
                continue;
            }
            if (text.length() != 2 * SECRET_LENGTH || !text.chars().allMatch(HexFormat::isHexDigit))
            {
                throw new IllegalArgumentException("the secret is " + 2 * SECRET_LENGTH + " hex digits");
            }
            return new RegistrationProofs(HexFormat.of().parseHex(text));
        }
        throw new IllegalArgumentException("no secret in the file");
    }

    /** A new secret file's text, from 32 random bytes. */
    public static String newFile(final SecureRandom random)
    {
        final byte[] secret = new byte[SECRET_LENGTH];
        random.nextBytes(secret);
        return "# Contact discovery: the secret that signs registrations. Keep it with the PRF key file.\n" +
            HexFormat.of().formatHex(secret) + "\n";
    }

    /**
     * What the verifying service does once it knows {@code number} is the user's: the number's tag under the ring's
     * current key (the one a registration must use), and its proof.
     *
     * @param keys        the switches' PRF keys.
     * @param userId      the user.
     * @param e164        the number in E.164 ({@link PhoneNumbers#normalize}), as clients hash it.
     * @param expiresAtMs when the proof stops being accepted.
     */
    public Registration issue(final KeyRing keys, final long userId, final String e164, final long expiresAtMs)
    {
        final OprfKey key = keys.current();
        final byte[] tag = Oprf.tag(key.evaluate(e164.getBytes(StandardCharsets.UTF_8)));
        return new Registration(key.id(), tag, sign(userId, key.id(), tag, expiresAtMs));
    }

    /**
     * @return the proof that {@code tag} under {@code keyId} is the number of {@code userId}, until
     *         {@code expiresAtMs}.
     */
    public byte[] sign(final long userId, final int keyId, final byte[] tag, final long expiresAtMs)
    {
        if (tag == null || tag.length != Oprf.TAG_LENGTH)
        {
            throw new IllegalArgumentException("a tag is " + Oprf.TAG_LENGTH + " bytes");
        }
        return ByteBuffer.allocate(PROOF_LENGTH).putLong(expiresAtMs).put(mac(userId, keyId, tag, expiresAtMs))
            .array();
    }

    /**
     * @return true when {@code proof} is this secret's proof for exactly this user, key and tag, and has not expired
     *         at {@code nowMs}.
     */
    public boolean verify(final long userId, final int keyId, final byte[] tag, final byte[] proof, final long nowMs)
    {
        if (proof == null || proof.length != PROOF_LENGTH || tag == null || tag.length != Oprf.TAG_LENGTH)
        {
            return false;
        }
        final ByteBuffer buffer = ByteBuffer.wrap(proof);
        final long expiresAtMs = buffer.getLong();
        final byte[] given = new byte[PROOF_LENGTH - 8];
        buffer.get(given);
        // Compared in constant time whatever the expiry, so timing tells nothing of how close a forgery came.
        final boolean genuine = MessageDigest.isEqual(given, mac(userId, keyId, tag, expiresAtMs));
        return genuine && nowMs < expiresAtMs;
    }

    private byte[] mac(final long userId, final int keyId, final byte[] tag, final long expiresAtMs)
    {
        try
        {
            final Mac mac = Mac.getInstance(MAC);
            mac.init(secret);
            mac.update(LABEL);
            mac.update(ByteBuffer.allocate(8 + 4 + Oprf.TAG_LENGTH + 8).putLong(userId).putInt(keyId).put(tag)
                .putLong(expiresAtMs).array());
            return mac.doFinal();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HMAC-SHA256 is not available", ex);
        }
    }

    @Override
    public String toString()
    {
        return "RegistrationProofs{HMAC-SHA256}";
    }
}
